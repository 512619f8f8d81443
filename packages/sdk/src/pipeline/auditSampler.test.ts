import { AuditSampler, requestsToCatch } from "./auditRoute.js";

test("requestsToCatch is the smallest n with (1 - rate * share)^n <= escapeChance", () => {
  const n = requestsToCatch({ rate: 0.25, share: 0.5, escapeChance: 1e-3 });
  expect(n).toBe(52);
  expect((1 - 0.125) ** n).toBeLessThanOrEqual(1e-3);
  expect((1 - 0.125) ** (n - 1)).toBeGreaterThan(1e-3);
  expect(requestsToCatch({ rate: 1, share: 1, escapeChance: 1e-9 })).toBe(1);
  expect(requestsToCatch({ rate: 0, share: 1, escapeChance: 0.5 })).toBe(Infinity);
});

test("the sampler audits a request when the draw is below the rate, and refuses a rate outside [0, 1]", () => {
  const draws = [0.1, 0.3, 0.24, 0.25];
  const sampler = new AuditSampler({ rate: 0.25, random: () => draws.shift()! });
  expect([1, 2, 3, 4].map(() => sampler.shouldAudit())).toEqual([true, false, true, false]);
  expect(() => new AuditSampler({ rate: 1.5 })).toThrow(/fraction/);
});
