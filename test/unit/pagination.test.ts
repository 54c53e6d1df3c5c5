import { describe, expect, it } from "vitest";
import { checkPage } from "../../src/domain/pagination.js";
import { DomainError } from "../../src/domain/errors.js";

describe("checkPage", () => {
  it("defaults to offset 0, limit 100, descending", () => {
    expect(checkPage(undefined)).toEqual({ offset: 0, limit: 100, asc: false });
    expect(checkPage({ limit: 0 })).toEqual({ offset: 0, limit: 100, asc: false });
  });
  it("keeps a limit up to 1000 and the asc flag", () => {
    expect(checkPage({ offset: 5n, limit: 1000, asc: true })).toEqual({ offset: 5, limit: 1000, asc: true });
  });
  it("rejects a limit above 1000 with INVALID_ARGUMENT naming pagination.limit", () => {
    expect(() => checkPage({ limit: 1001 })).toThrow(DomainError);
    expect(() => checkPage({ limit: 1001 })).toThrow(/pagination\.limit/);
  });
  it("rejects an offset beyond a safe integer", () => {
    expect(() => checkPage({ offset: 2n ** 62n })).toThrow(/pagination\.offset/);
  });
});
