import { RunnerError } from "./errors.js";
import { ResultMailbox, type StepResult } from "./ResultMailbox.js";

const token = (step: number, tokenId = 7): StepResult => ({
  step,
  payload: { type: "sample", tokenId, logprob: -1 },
  positionCount: 0,
});

describe("ResultMailbox", () => {
  test("an await that comes first is answered when its step's result is posted", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 4, timeoutMs: 10_000 });
    const waiting = mailbox.wait("s", 3);
    expect(mailbox.waiting).toBe(1);
    mailbox.post("s", token(3, 42));
    await expect(waiting).resolves.toEqual(token(3, 42));
    expect(mailbox.waiting).toBe(0);
  });

  test("a result that comes first is kept for its await, once", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 4, timeoutMs: 50 });
    mailbox.post("s", token(5, 9));
    await expect(mailbox.wait("s", 5)).resolves.toEqual(token(5, 9));
    // Collected: a second await of the same step waits, and times out with 504.
    await expect(mailbox.wait("s", 5)).rejects.toMatchObject({ status: 504 });
  });

  test("a result for another step does not answer an await", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 4, timeoutMs: 50 });
    const waiting = mailbox.wait("s", 2);
    mailbox.post("s", token(1));
    await expect(waiting).rejects.toMatchObject({ status: 504 });
    mailbox.post("s", token(4));
    mailbox.post("s", token(5));
    // Only the latest result per session is kept.
    await expect(mailbox.wait("s", 5)).resolves.toEqual(token(5));
  });

  test("a failed step fails its await with the step's own error", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 4, timeoutMs: 10_000 });
    const waiting = mailbox.wait("s", 1);
    mailbox.fail("s", 0, new RunnerError("other step", { status: 400 }));
    mailbox.fail("s", 1, new RunnerError("too long", { status: 413 }));
    await expect(waiting).rejects.toMatchObject({ status: 413 });
  });

  test("a newer await replaces an older one (409), a forgotten session fails its await", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 4, timeoutMs: 10_000 });
    const older = mailbox.wait("s", 1);
    const newer = mailbox.wait("s", 2);
    await expect(older).rejects.toMatchObject({ status: 409 });
    mailbox.forget("s", new RunnerError("gone", { status: 404 }));
    await expect(newer).rejects.toMatchObject({ status: 404 });
    expect(mailbox.waiting).toBe(0);
  });

  test("awaits are bounded: past the limit, 503 and the others stay", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 2, timeoutMs: 10_000 });
    const a = mailbox.wait("a", 0);
    const b = mailbox.wait("b", 0);
    await expect(mailbox.wait("c", 0)).rejects.toMatchObject({ status: 503 });
    mailbox.post("a", token(0, 1));
    mailbox.post("b", token(0, 2));
    await expect(Promise.all([a, b])).resolves.toEqual([token(0, 1), token(0, 2)]);
  });

  test("uncollected results are bounded: the oldest session's goes first", async () => {
    const mailbox = new ResultMailbox({ maxEntries: 2, timeoutMs: 30 });
    mailbox.post("a", token(0, 1));
    mailbox.post("b", token(0, 2));
    mailbox.post("c", token(0, 3));
    await expect(mailbox.wait("a", 0)).rejects.toMatchObject({ status: 504 });
    await expect(mailbox.wait("c", 0)).resolves.toEqual(token(0, 3));
  });
});
