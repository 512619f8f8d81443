/** The middle value of `xs` (the upper of the two middles for an even count); the machine probes' summary. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
