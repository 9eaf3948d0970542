/**
 * Runs `npm run rcf` in this process (as cli.ts does) and reports its peak resident memory on stderr as the last
 * line, `{"maxRssKiB": ...}`: bench/rcf/cli-rss.ts spawns it once per input size.
 */
import { runCli } from "../../local/rcf/cli-run";

const code = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: () => undefined,
});
process.stderr.write(`${JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
