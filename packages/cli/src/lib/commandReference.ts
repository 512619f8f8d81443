import type { Argument, Command, Option } from "commander";

/** `teetee model register <shard-dir>`: the command's path and its arguments as `--help` writes them. */
export function usageOf(path: readonly string[], command: Command): string {
  const args = command.registeredArguments.map((a: Argument) => {
    const name = `${a.name()}${a.variadic ? "..." : ""}`;
    return a.required ? `<${name}>` : `[${name}]`;
  });
  return ["teetee", ...path, ...args].join(" ");
}

function optionLine(option: Option): string {
  const notes = [
    option.mandatory ? "required" : undefined,
    option.defaultValue === undefined || option.negate
      ? undefined
      : `default \`${String(option.defaultValue)}\``,
  ].filter((note) => note !== undefined);
  const suffix = notes.length === 0 ? "" : ` (${notes.join(", ")})`;
  return `- \`${option.flags}\`: ${option.description}${suffix}`;
}

function argumentLines(command: Command): string[] {
  return command.registeredArguments
    .filter((a: Argument) => a.description !== "")
    .map((a: Argument) => `- \`${a.name()}\`: ${a.description}`);
}

function section(path: readonly string[], command: Command): string[] {
  const heading = "#".repeat(path.length + 2);
  const lines = [`${heading} \`${usageOf(path, command)}\``, "", command.description()];
  const details = [...argumentLines(command), ...command.options.map(optionLine)];
  if (details.length > 0) lines.push("", ...details);
  lines.push("");
  for (const sub of command.commands) lines.push(...section([...path, sub.name()], sub));
  return lines;
}

/** Every command path of the program, `["model", "register"]` style, groups before their commands. */
export function commandPaths(program: Command): string[][] {
  const walk = (command: Command, path: string[]): string[][] =>
    command.commands.flatMap((sub) => [[...path, sub.name()], ...walk(sub, [...path, sub.name()])]);
  return walk(program, []);
}

/** The command reference of the README, made from the program itself so it cannot drift from `--help`. */
export function commandReference(program: Command, exitCodes: string): string {
  const lines = [
    "### Global options",
    "",
    ...program.options.map(optionLine),
    "",
    "```text",
    exitCodes.trim(),
    "```",
    "",
  ];
  for (const command of program.commands) lines.push(...section([command.name()], command));
  return lines.join("\n").trimEnd();
}
