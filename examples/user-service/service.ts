// An in-memory implementation of the example UserService: just enough behaviour to watch executions act on it.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  AddHumanUserResponseSchema,
  DeleteUserMetadataResponseSchema,
  DeleteUserResponseSchema,
  GetUserResponseSchema,
  UserSchema,
  type User,
  type UserService,
} from "../../gen/tether/example/v1/user_service_pb.js";

/** A UserService that keeps users in a Map. */
export function createUserService(): ServiceImpl<typeof UserService> & { users: Map<string, User> } {
  const users = new Map<string, User>();
  let next = 1;
  return {
    users,
    addHumanUser(req) {
      if (req.username === "") throw new ConnectError("username: must not be empty", Code.InvalidArgument);
      const userId = String(next++);
      users.set(userId, create(UserSchema, { userId, username: req.username, email: req.email, givenName: req.givenName, familyName: req.familyName }));
      return create(AddHumanUserResponseSchema, { userId });
    },
    getUser(req) {
      const user = users.get(req.userId);
      if (!user) throw new ConnectError(`user ${req.userId} not found`, Code.NotFound);
      return create(GetUserResponseSchema, { user });
    },
    deleteUser(req) {
      users.delete(req.userId);
      return create(DeleteUserResponseSchema);
    },
    deleteUserMetadata() {
      return create(DeleteUserMetadataResponseSchema);
    },
  };
}
