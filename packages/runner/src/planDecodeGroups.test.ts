import fc from "fast-check";
import { groupBytes, planDecodeGroups } from "./planDecodeGroups.js";

type Step = { id: number; bytes: number };
const bytesOf = (step: Step) => step.bytes;

const steps = fc
  .array(fc.integer({ min: 0, max: 1000 }), { maxLength: 40 })
  .map((sizes) => sizes.map((bytes, id): Step => ({ id, bytes })));
const limit = fc.integer({ min: 1, max: 4000 });

describe("planDecodeGroups", () => {
  test("every step is in exactly one group, in the order given", () => {
    fc.assert(
      fc.property(steps, limit, (given, max) => {
        const groups = planDecodeGroups(given, bytesOf, max);
        expect(groups.flat()).toEqual(given);
        for (const group of groups) expect(group.length).toBeGreaterThan(0);
      }),
    );
  });

  test("each group's buffers fit the limit, unless it is one step that alone exceeds it", () => {
    fc.assert(
      fc.property(steps, limit, (given, max) => {
        for (const group of planDecodeGroups(given, bytesOf, max)) {
          if (groupBytes(group, bytesOf) > max) expect(group).toHaveLength(1);
          if (group.length > 1) expect(groupBytes(group, bytesOf)).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  test("a group ends only where the next step would not fit beside it", () => {
    fc.assert(
      fc.property(steps, limit, (given, max) => {
        const groups = planDecodeGroups(given, bytesOf, max);
        for (let i = 0; i + 1 < groups.length; i++) {
          const grown = [...groups[i]!, groups[i + 1]![0]!];
          expect(groupBytes(grown, bytesOf)).toBeGreaterThan(max);
        }
      }),
    );
  });

  test("a group costs its size times its widest step", () => {
    const given = [10, 40, 10, 10, 30].map((bytes, id) => ({ id, bytes }));
    expect(planDecodeGroups(given, bytesOf, 100).map((g) => g.map((s) => s.id))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(planDecodeGroups(given, bytesOf, 39).map((g) => g.map((s) => s.id))).toEqual([
      [0],
      [1],
      [2, 3],
      [4],
    ]);
    expect(planDecodeGroups([], bytesOf, 100)).toEqual([]);
  });
});
