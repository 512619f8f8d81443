import { type CloseReason, Phases } from "./Phases.js";

function recorder() {
  const events: string[] = [];
  const closable = (name: string) => () => ({
    value: name,
    close: (reason: CloseReason) => {
      events.push(`close ${name} (${reason})`);
    },
  });
  return { events, closable };
}

describe("Phases", () => {
  test("returns what each phase built", async () => {
    const phases = new Phases();
    expect(await phases.open("a", () => ({ value: 1 }))).toBe(1);
    expect(await phases.step("b", async () => "two")).toBe("two");
  });

  test("a failing phase closes every earlier phase, last first, then rejects with its error", async () => {
    const { events, closable } = recorder();
    const phases = new Phases();
    await phases.open("first", closable("first"));
    await phases.step("check", () => undefined);
    await phases.open("second", closable("second"));
    const failure = new Error("port taken");
    await expect(
      phases.open("listen", () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(events).toEqual(["close second (rollback)", "close first (rollback)"]);
  });

  test("wrap turns the failed phase's error into the start-up's", async () => {
    const phases = new Phases({ wrap: (phase, error) => new Error(`${phase}: ${(error as Error).message}`) });
    await expect(phases.step("listening", () => Promise.reject(new Error("EADDRINUSE")))).rejects.toThrow(
      "listening: EADDRINUSE",
    );
  });

  test("a close that throws while undoing is reported, the others still run, and the phase's error wins", async () => {
    const { events, closable } = recorder();
    const reported: string[] = [];
    const phases = new Phases({ onCloseError: (phase, error) => reported.push(`${phase}: ${error}`) });
    await phases.open("first", closable("first"));
    await phases.open("broken", () => ({
      value: undefined,
      close: () => Promise.reject(new Error("cannot close")),
    }));
    await expect(phases.step("last", () => Promise.reject(new Error("late failure")))).rejects.toThrow(
      "late failure",
    );
    expect(reported).toEqual(["broken: Error: cannot close"]);
    expect(events).toEqual(["close first (rollback)"]);
  });

  test("close runs every close once, last first, for a shutdown, and rethrows the first failure after the last", async () => {
    const { events, closable } = recorder();
    const phases = new Phases();
    await phases.open("first", closable("first"));
    await phases.open("broken", () => ({
      value: undefined,
      close: () => Promise.reject(new Error("stuck")),
    }));
    await phases.open("third", closable("third"));
    await expect(phases.close()).rejects.toThrow("stuck");
    expect(events).toEqual(["close third (shutdown)", "close first (shutdown)"]);
    await phases.close();
    expect(events).toHaveLength(2);
  });
});
