/** What a service says when it cannot listen: the sentence and the hint of its listen error. */
export type ListenFailure = { message: string; hint: string };

/**
 * The words for a failed `listen(port, host)`, the same in every service: a taken port (`EADDRINUSE`) says so and
 * names it; anything else (an address this machine does not own, a privileged port) asks for a host and a free port.
 * @example
 * class RunnerListenError extends RunnerStartupError {
 *   constructor(host: string, port: number, options: TeeTeeErrorOptions = {}) {
 *     const { message, hint } = listenFailure(host, port, options.cause);
 *     super(message, { hint, ...options });
 *   }
 * }
 */
export function listenFailure(host: string, port: number, cause: unknown): ListenFailure {
  const inUse = (cause as NodeJS.ErrnoException | undefined)?.code === "EADDRINUSE";
  return {
    message: `Cannot listen on ${host}:${port}${inUse ? ": the port is already in use" : ""}`,
    hint: inUse
      ? `Stop what holds port ${port}, or pass another --port.`
      : "Pass a --host this machine owns and a free --port.",
  };
}
