/**
 * Generation by the unsharded model in-process (greedy unless a job gives sampling parameters), as an independent
 * reference for the end-to-end test. A separate process because onnxruntime refuses typed arrays made in jest's VM
 * realm.
 *
 *   tsx packages/gateway/test/referenceGenerate.ts <shard dir of the 1-shard model> '<[[promptIds, maxTokens, sampling?], …]>'
 * prints a JSON array of token arrays.
 */
import { generate, loadTokenizer, type SamplingParams, ShardSession } from "@teetee/inference";

async function main(): Promise<void> {
  const [dir, jobs] = process.argv.slice(2);
  if (dir === undefined || jobs === undefined) throw new Error("usage: referenceGenerate.ts DIR JOBS_JSON");
  const shard = await ShardSession.create({ dir, shardIndex: 0 });
  const stopTokens = loadTokenizer(dir).stopTokenIds;
  const results: number[][] = [];
  for (const [promptIds, maxTokens, sampling] of JSON.parse(jobs) as [number[], number, SamplingParams?][]) {
    results.push((await generate({ shards: [shard], promptIds, maxTokens, stopTokens, sampling })).tokens);
  }
  await shard.release();
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
