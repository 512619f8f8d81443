import { createServer } from "node:net";
import { listenFailure } from "./listenFailure.js";

test("a taken port says so and names the port; another failure asks for a host and a free port", async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const port = (holder.address() as { port: number }).port;
  const cause = await new Promise<unknown>((resolve) => {
    const second = createServer();
    second.once("error", resolve);
    second.listen(port, "127.0.0.1");
  });
  holder.close();
  expect(listenFailure("127.0.0.1", port, cause)).toEqual({
    message: `Cannot listen on 127.0.0.1:${port}: the port is already in use`,
    hint: `Stop what holds port ${port}, or pass another --port.`,
  });
  const elsewhere = Object.assign(new Error("listen EADDRNOTAVAIL"), { code: "EADDRNOTAVAIL" });
  expect(listenFailure("10.9.9.9", 8080, elsewhere)).toEqual({
    message: "Cannot listen on 10.9.9.9:8080",
    hint: "Pass a --host this machine owns and a free --port.",
  });
});
