import { describe, expect, it } from "vitest";
import { ActionService } from "../../gen/zitadel/action/v2/action_service_pb.js";
import { ActionService as ActionServiceV2beta } from "../../gen/zitadel/action/v2beta/action_service_pb.js";
import { DeliveryService } from "../../gen/tether/v1/delivery_service_pb.js";
import { ADMIN_PERMISSIONS, AUTHENTICATED, PERMISSIONS, PROCEDURE_PERMISSIONS, requiredPermission } from "../../src/auth/permissions.js";

const P = "/zitadel.action.v2.ActionService/";
const D = "/tether.v1.DeliveryService/";

describe("requiredPermission", () => {
  it("maps the ActionService RPCs as spec/api.md §2 lists them", () => {
    expect(requiredPermission(`${P}CreateTarget`)).toBe("action.target.write");
    expect(requiredPermission(`${P}UpdateTarget`)).toBe("action.target.write");
    expect(requiredPermission(`${P}DeleteTarget`)).toBe("action.target.delete");
    expect(requiredPermission(`${P}GetTarget`)).toBe("action.target.read");
    expect(requiredPermission(`${P}ListTargets`)).toBe("action.target.read");
    for (const m of ["AddPublicKey", "ActivatePublicKey", "DeactivatePublicKey", "RemovePublicKey"]) {
      expect(requiredPermission(`${P}${m}`)).toBe("action.target.write");
    }
    expect(requiredPermission(`${P}ListPublicKeys`)).toBe("action.target.read");
    expect(requiredPermission(`${P}SetExecution`)).toBe("action.execution.write");
    expect(requiredPermission(`${P}ListExecutions`)).toBe("action.execution.read");
    for (const m of ["ListExecutionFunctions", "ListExecutionMethods", "ListExecutionServices"]) {
      expect(requiredPermission(`${P}${m}`)).toBe(AUTHENTICATED);
    }
  });

  it("maps the DeliveryService RPCs to action.delivery.read and action.delivery.write", () => {
    expect(requiredPermission(`${D}ListDeliveries`)).toBe("action.delivery.read");
    expect(requiredPermission(`${D}GetDelivery`)).toBe("action.delivery.read");
    expect(requiredPermission(`${D}RetryDelivery`)).toBe("action.delivery.write");
    expect(requiredPermission(`${D}RetryDeadDeliveries`)).toBe("action.delivery.write");
  });

  it("maps every v2beta ActionService RPC to the permission of its v2 namesake", () => {
    for (const m of ActionServiceV2beta.methods) {
      expect(requiredPermission(`/${ActionServiceV2beta.typeName}/${m.name}`), m.name).toBe(requiredPermission(`${P}${m.name}`));
    }
  });

  it("covers every method of the generated ActionService (v2 and v2beta) and DeliveryService", () => {
    const procedures = [ActionService, ActionServiceV2beta, DeliveryService].flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
    expect(Object.keys(PROCEDURE_PERMISSIONS).sort()).toEqual(procedures.sort());
  });

  it("needs only authentication for procedures it does not know", () => {
    expect(requiredPermission("/other.v1.Service/Do")).toBe(AUTHENTICATED);
    expect(requiredPermission("__proto__")).toBe(AUTHENTICATED);
    expect(requiredPermission("toString")).toBe(AUTHENTICATED);
  });

  it("gives the admin every permission a procedure can require", () => {
    for (const p of Object.values(PROCEDURE_PERMISSIONS)) {
      if (p !== AUTHENTICATED) expect(ADMIN_PERMISSIONS).toContain(p);
    }
    expect([...ADMIN_PERMISSIONS].sort()).toEqual([...PERMISSIONS].sort());
    expect(ADMIN_PERMISSIONS).toEqual(expect.arrayContaining(["action.delivery.read", "action.delivery.write"]));
  });
});
