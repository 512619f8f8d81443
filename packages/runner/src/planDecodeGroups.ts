/**
 * Splits a batch's decode steps into consecutive groups, one shard call each, whose gathered batch buffers fit in
 * `limit` bytes. A call's buffers hold every step at the longest step's capacity, so a group costs its size times
 * its largest `bytesPerStep`. Greedy and in order: each group takes steps until the next one would not fit; a step
 * that alone exceeds the limit gets a group of its own (it has to run, and runs with nothing beside it).
 *
 * @example
 * planDecodeGroups(["a", "b", "c"], () => 40, 100); // [["a", "b"], ["c"]]
 */
export function planDecodeGroups<T>(
  steps: readonly T[],
  bytesPerStep: (step: T) => number,
  limit: number,
): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let widest = 0;
  for (const step of steps) {
    const bytes = bytesPerStep(step);
    const wider = Math.max(widest, bytes);
    if (group.length > 0 && (group.length + 1) * wider > limit) {
      groups.push(group);
      group = [];
      widest = 0;
    }
    group.push(step);
    widest = Math.max(widest, bytes);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Bytes a group of steps binds: its size times its largest step's bytes. */
export function groupBytes<T>(group: readonly T[], bytesPerStep: (step: T) => number): number {
  return group.length * Math.max(0, ...group.map(bytesPerStep));
}
