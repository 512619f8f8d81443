import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SafetensorsFile } from "./loadSafetensors.js";
import { writeSafetensorsStreaming } from "./writeSafetensors.js";

const dir = mkdtempSync(join(tmpdir(), "teetee-write-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a tensor larger than a chunk is produced in order, in chunks of at most 1 Mi elements", () => {
  const size = 2.5 * 2 ** 20;
  const requests: [number, number][] = [];
  const source = {
    name: "big",
    shape: [size / 1024, 1024],
    fill: (start: number, out: Float32Array) => {
      requests.push([start, out.length]);
      for (let i = 0; i < out.length; i++) out[i] = (start + i) % 4099;
    },
  };
  writeSafetensorsStreaming(join(dir, "big.safetensors"), [source], "F32");
  expect(requests).toEqual([
    [0, 2 ** 20],
    [2 ** 20, 2 ** 20],
    [2 ** 21, 2 ** 19],
  ]);
  const file = SafetensorsFile.open(join(dir, "big.safetensors"));
  const values = file.readFloat32("big");
  file.close();
  expect(values.every((v, i) => v === i % 4099)).toBe(true);
});
