/**
 * The contracts' NatSpec against the SDK's sentences: every custom error and event declared in `contracts/`
 * carries a `@notice` and a `@param` per argument, every custom error in the ABIs has a sentence that shows each
 * of its arguments, and a TeeTee error's sentence is its notice (generated, not copied by hand). Reads the
 * NatSpec from the build info `pnpm build:contracts` writes (`userdoc`/`devdoc`, see hardhat.config.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { contractErrorNotices } from "@teetee/contracts/errorNotices";
import { teeTeeErrorAbi } from "./errorAbi.js";
import { teeTeeErrorMessages } from "./errorMessages.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

interface AbiItem {
  type: string;
  name?: string;
  inputs?: readonly { name?: string; type: string }[];
}
interface ContractOutput {
  abi: AbiItem[];
  userdoc?: {
    errors?: Record<string, { notice?: string }[]>;
    events?: Record<string, { notice?: string }>;
  };
  devdoc?: {
    errors?: Record<string, { params?: Record<string, string> }[]>;
    events?: Record<string, { params?: Record<string, string> }>;
  };
}
type SourceOutputs = Record<string, Record<string, ContractOutput>>;

function buildOutputs(): SourceOutputs {
  const dir = path.join(root, "artifacts", "build-info");
  if (!existsSync(dir)) throw new Error(`No build info under ${dir}; run \`pnpm build:contracts\` first.`);
  const sources: SourceOutputs = {};
  // Oldest first, so a build-info a later incremental build left behind never hides the newer output of a file.
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".output.json"))
    .sort((a, b) => statSync(path.join(dir, a)).mtimeMs - statSync(path.join(dir, b)).mtimeMs);
  for (const file of files) {
    const { output } = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as {
      output: { contracts: SourceOutputs };
    };
    Object.assign(sources, output.contracts);
  }
  return sources;
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sol"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

interface Declaration {
  kind: "error" | "event";
  name: string;
  file: string;
}

/** `error X(` and `event X(` declarations, read from the sources so none can hide from the check. */
function declarations(): Declaration[] {
  return solidityFiles(path.join(root, "contracts")).flatMap((file) =>
    [...readFileSync(path.join(root, file), "utf8").matchAll(/^\s*(error|event)\s+(\w+)\s*\(/gm)].map(
      (match) => ({ kind: match[1] as "error" | "event", name: match[2] as string, file }),
    ),
  );
}

const signatureOf = (item: AbiItem): string =>
  `${item.name}(${(item.inputs ?? []).map((input) => input.type).join(",")})`;

/** What is missing from one declaration's NatSpec, as readable lines. */
function natSpecProblems(declaration: Declaration, sources: SourceOutputs): string[] {
  const where = `${declaration.kind} ${declaration.name} (${declaration.file})`;
  const contracts = Object.values(sources[`project/${declaration.file}`] ?? {});
  const item = contracts
    .flatMap((contract) => contract.abi)
    .find((entry) => entry.type === declaration.kind && entry.name === declaration.name);
  const contract = contracts.find((c) => c.abi.includes(item as AbiItem));
  if (item === undefined || contract === undefined) return [`${where}: not in the build output`];
  const signature = signatureOf(item);
  const notice =
    declaration.kind === "error"
      ? contract.userdoc?.errors?.[signature]?.[0]?.notice
      : contract.userdoc?.events?.[signature]?.notice;
  const params =
    (declaration.kind === "error"
      ? contract.devdoc?.errors?.[signature]?.[0]?.params
      : contract.devdoc?.events?.[signature]?.params) ?? {};
  const problems = notice?.trim() ? [] : [`${where}: no @notice`];
  for (const input of item.inputs ?? []) {
    if (!params[input.name ?? ""]?.trim()) problems.push(`${where}: no @param ${input.name}`);
  }
  return problems;
}

const short = (value: string): string => `${value.slice(0, 10)}…${value.slice(-4)}`;

/** Distinct sample arguments, so each one's place in a sentence can be found again. */
function sampleArguments(inputs: readonly { type: string }[]): unknown[] {
  return inputs.map(({ type }, i) => {
    if (type === "address") return `0x${String(i + 1).repeat(40)}`;
    if (type.startsWith("bytes")) return `0x${"a".repeat(56)}${String(1000 + i).repeat(2)}`;
    if (type === "string") return `text${i}`;
    return BigInt(1_700_000_000 + 1_111 * i);
  });
}

/** The ways a sentence may show an argument: as is, shortened (hashes) or as a date (times). */
function renderings(value: unknown): string[] {
  if (typeof value === "bigint") return [String(value), new Date(Number(value) * 1000).toISOString()];
  return [String(value), short(String(value))];
}

const abiErrors = [
  ...new Map(
    teeTeeErrorAbi.filter((item) => item.type === "error").map((item) => [item.name, item] as const),
  ).values(),
];
const messages = teeTeeErrorMessages as unknown as Record<
  string,
  ((args: readonly unknown[]) => string) | undefined
>;

describe("contract NatSpec and the SDK's error sentences", () => {
  const sources = buildOutputs();

  test("every custom error and event in contracts/ has a @notice and a @param for each argument", () => {
    const declared = declarations();
    expect(declared.filter((d) => d.kind === "error").length).toBeGreaterThan(40);
    expect(declared.filter((d) => d.kind === "event").length).toBeGreaterThan(25);
    expect(declared.flatMap((declaration) => natSpecProblems(declaration, sources))).toEqual([]);
  });

  test("every custom error in the ABIs has a sentence that shows each of its arguments", () => {
    const problems = abiErrors.flatMap((error) => {
      const message = messages[error.name];
      if (typeof message !== "function") return [`${error.name}: no sentence`];
      const args = sampleArguments(error.inputs);
      const sentence = message(args);
      const hidden = error.inputs.filter(
        (_, i) => !renderings(args[i]).some((shown) => sentence.includes(shown)),
      );
      return [
        ...(sentence.trim() === "" ? [`${error.name}: empty sentence`] : []),
        ...(sentence.includes("`") ? [`${error.name}: a placeholder left in "${sentence}"`] : []),
        ...hidden.map((input) => `${error.name}: the sentence does not show ${input.name}`),
      ];
    });
    expect(problems).toEqual([]);
  });

  test("a TeeTee error's sentence is its NatSpec notice, with the arguments in place", () => {
    const declaredErrors = new Set(declarations().flatMap((d) => (d.kind === "error" ? [d.name] : [])));
    const ours = abiErrors.filter((error) => declaredErrors.has(error.name));
    expect(ours.length).toBeGreaterThan(40);
    const generated = contractErrorNotices as Record<string, string | undefined>;
    for (const error of ours) {
      const signature = signatureOf(error);
      const notice = Object.values(sources)
        .flatMap((contracts) => Object.values(contracts))
        .map((contract) => contract.userdoc?.errors?.[signature]?.[0]?.notice)
        .find((text) => text !== undefined);
      // Stale when `pnpm build:contracts` was not run after a notice changed.
      expect({ error: error.name, generated: generated[error.name] }).toEqual({
        error: error.name,
        generated: notice,
      });
      const args = sampleArguments(error.inputs);
      let sentence = (messages[error.name] as (args: readonly unknown[]) => string)(args);
      error.inputs.forEach((input, i) => {
        for (const shown of renderings(args[i])) sentence = sentence.replaceAll(shown, `\`${input.name}\``);
      });
      expect({ error: error.name, sentence }).toEqual({ error: error.name, sentence: notice });
    }
  });
});
