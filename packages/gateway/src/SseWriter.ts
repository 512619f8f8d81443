import type { Response } from "express";

/** Server-sent events as OpenAI streams them: `data: <json>\n\n` per chunk, then `data: [DONE]`. */
export class SseWriter {
  readonly #res: Response;

  constructor(res: Response) {
    this.#res = res;
  }

  get open(): boolean {
    return this.#res.headersSent;
  }

  /** Sends the status and headers (once). */
  start(headers: Record<string, string>): void {
    if (this.#res.headersSent) return;
    this.#res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
  }

  send(data: unknown): void {
    this.#res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    this.#res.write("data: [DONE]\n\n");
    this.#res.end();
  }
}
