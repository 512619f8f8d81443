import type { ServerLimits } from "@teetee/sdk/http";
import { oversizedHeadRequest, partialBodyRequest, type RawReply, rawHttp } from "./rawHttp.js";

/** A server under test, started with the limits the spec chooses. */
export type LimitedServerUnderTest = { url: string; close: () => Promise<void> };

export type ServerLimitsSpecOptions = {
  start: (limits: Partial<ServerLimits>) => Promise<LimitedServerUnderTest>;
  /** A GET answered below 500, to show the server still serves after a refusal. */
  alivePath: string;
  /** Where the server takes a body, and its limit; without it only heads and timeouts are checked. */
  body?: { path: string; contentType: string; maxBytes: number };
};

const REQUEST_TIMEOUT_MS = 1000;

/**
 * The behaviour every TeeTee HTTP server shares (issue 13 item 3), over raw sockets: oversized heads get a JSON 431
 * (not a reset), a partial body gets a JSON 408 within the request timeout's checking window, a body over the limit
 * gets 413, and the server goes on serving.
 */
export function describeServerLimits(name: string, options: ServerLimitsSpecOptions): void {
  describe(`${name}: request limits`, () => {
    let server: LimitedServerUnderTest;
    beforeAll(async () => {
      server = await options.start({
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        headersTimeoutMs: REQUEST_TIMEOUT_MS,
      });
    });
    afterAll(() => server.close());

    const expectJsonRefusal = (reply: RawReply, status: number) => {
      expect({ status: reply.status, reset: reply.reset, type: reply.headers["content-type"] }).toEqual({
        status,
        reset: false,
        type: expect.stringMatching(/^application\/json/),
      });
      expect(JSON.parse(reply.body)).toHaveProperty("error");
    };
    const expectAlive = async () => {
      const response = await fetch(new URL(options.alivePath, server.url));
      expect(response.status).toBeLessThan(500);
    };

    test.each([20_000, 100_000])(
      "a %d-byte header gets a JSON 431, not a reset, and the server stays up",
      async (bytes) => {
        expectJsonRefusal(await rawHttp(server.url, oversizedHeadRequest(options.alivePath, bytes)), 431);
        await expectAlive();
      },
    );

    test("a partial body (9 of 1,000 declared bytes) gets a JSON 408 within the request timeout", async () => {
      const path = options.body?.path ?? options.alivePath;
      const contentType = options.body?.contentType ?? "application/json";
      const reply = await rawHttp(
        server.url,
        partialBodyRequest(path, 1000, 9, contentType),
        4 * REQUEST_TIMEOUT_MS,
      );
      expectJsonRefusal(reply, 408);
      expect(reply.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(reply.ms).toBeLessThan(1.25 * REQUEST_TIMEOUT_MS + 500);
      await expectAlive();
    });

    if (options.body !== undefined) {
      const { path, contentType, maxBytes } = options.body;
      test("a body over the limit gets a JSON 413", async () => {
        const declared = maxBytes + 1;
        expectJsonRefusal(
          await rawHttp(server.url, partialBodyRequest(path, declared, declared, contentType)),
          413,
        );
        await expectAlive();
      });
    }
  });
}
