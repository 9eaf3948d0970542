/**
 * The "start a Glue crawler and wait for it" fragment. Glue has no `.sync` integration for crawlers, so the
 * machine polls: Start → Wait → GetCrawler → count → Choice (done / failed / poll limit / wait again). Pure.
 */
import { catchAllTo, ERROR_PATH, INTEGRATIONS, next, RETRY, task } from "../../shared/asl/states";
import type { ChoiceState, FailState, PassState, States, WaitState } from "../../shared/asl/types";

/** Error names the crawl fragment raises, for the failure notice and for callers that catch them. */
export const CRAWL_ERRORS = {
  failed: "Etl.CrawlerFailed",
  pollLimit: "Etl.CrawlerPollLimitReached",
} as const;

/** Timeout of one StartCrawler/GetCrawler call: a control-plane call answers in well under a second. */
export const CRAWLER_API_TIMEOUT_SECONDS = 60;

export interface CrawlArgs {
  /** JSON key under `$.crawls` holding this crawl's poll count and last status, e.g. `curated`. */
  readonly key: string;
  /** Human name used in the state names, e.g. `curated crawler` → "Start curated crawler". */
  readonly label: string;
  readonly crawlerName: string;
  readonly pollSeconds: number;
  readonly maxPolls: number;
  /** State to continue at once the crawl succeeded. */
  readonly next: string;
  /**
   * What a failure does. `fail`: end in a Fail state (inside a Parallel branch, whose state's Catch then
   * reports it). `notify`: record `{ Error, Cause }` at `$.error` and go to the given state; every task's
   * errors are caught to it too.
   */
  readonly onFailure: { readonly kind: "fail" } | { readonly kind: "notify"; readonly state: string };
}

/** The state names of one crawl fragment, so tests and local bindings need not rebuild them. */
export function crawlStateNames(label: string) {
  const title = label.charAt(0).toUpperCase() + label.slice(1);
  return {
    reset: `Reset ${label} polls`,
    start: `Start ${label}`,
    wait: `Wait for ${label}`,
    get: `Get ${label} status`,
    count: `Count ${label} polls`,
    done: `Is ${label} done?`,
    failed: `${title} failed`,
    pollLimit: `${title} poll limit reached`,
  };
}

/** Builds the fragment; its entry state is `crawlStateNames(label).reset`. */
export function crawlStates(args: CrawlArgs): States {
  if (!/^[a-z][A-Za-z0-9]*$/.test(args.key))
    throw new Error(`crawl key "${args.key}" must be a JSON identifier`);
  if (!Number.isInteger(args.pollSeconds) || args.pollSeconds < 1) {
    throw new Error(`crawl pollSeconds must be a positive integer (got ${args.pollSeconds})`);
  }
  if (!Number.isInteger(args.maxPolls) || args.maxPolls < 1) {
    throw new Error(`crawl maxPolls must be a positive integer (got ${args.maxPolls})`);
  }
  const names = crawlStateNames(args.label);
  const path = `$.crawls.${args.key}`;
  const catchAll = args.onFailure.kind === "notify" ? catchAllTo(args.onFailure.state) : [];

  const reset: PassState = { Type: "Pass", Result: { polls: 0 }, ResultPath: path, Next: names.start };
  const start = task(
    {
      resource: INTEGRATIONS.glueStartCrawler,
      parameters: { Name: args.crawlerName },
      timeoutSeconds: CRAWLER_API_TIMEOUT_SECONDS,
      retry: [RETRY.glueApi],
      // Already running (a previous execution or an operator started it): wait for that crawl rather than
      // fail. Anything it missed is picked up by the next scheduled run.
      catch: [
        {
          ErrorEquals: ["Glue.CrawlerRunningException"],
          ResultPath: `${path}.alreadyRunning`,
          Next: names.wait,
        },
        ...catchAll,
      ],
    },
    next(names.wait),
  );
  const wait: WaitState = { Type: "Wait", Seconds: args.pollSeconds, Next: names.get };
  // The whole Crawler object is kept: `LastCrawl` is absent until a crawler's first crawl ends, and a
  // ResultSelector naming it would fail the state; the Choice below tests for it with IsPresent instead.
  const get = task(
    {
      resource: INTEGRATIONS.glueGetCrawler,
      parameters: { Name: args.crawlerName },
      timeoutSeconds: CRAWLER_API_TIMEOUT_SECONDS,
      retry: [RETRY.glueApi],
      resultPath: `${path}.status`,
      catch: catchAll,
    },
    next(names.count),
  );
  const count: PassState = {
    Type: "Pass",
    Parameters: { "polls.$": `States.MathAdd(${path}.polls, 1)`, "status.$": `${path}.status` },
    ResultPath: path,
    Next: names.done,
  };
  const state = `${path}.status.Crawler.State`;
  const lastStatus = `${path}.status.Crawler.LastCrawl.Status`;
  const done: ChoiceState = {
    Type: "Choice",
    Choices: [
      {
        And: [
          { Variable: state, StringEquals: "READY" },
          { Variable: lastStatus, IsPresent: true },
          { Variable: lastStatus, StringEquals: "SUCCEEDED" },
        ],
        Next: args.next,
      },
      // READY again but not SUCCEEDED: the crawl FAILED or was CANCELLED.
      { Variable: state, StringEquals: "READY", Next: names.failed },
      { Variable: `${path}.polls`, NumericGreaterThanEquals: args.maxPolls, Next: names.pollLimit },
    ],
    Default: names.wait,
  };
  const failedCause = `Glue crawler ${args.crawlerName} finished without SUCCEEDED (failed or cancelled); its log in CloudWatch (/aws-glue/crawlers) says why`;
  const limitCause = `Glue crawler ${args.crawlerName} was still running after ${args.maxPolls} checks ${args.pollSeconds} s apart; raise crawlerMaxPolls or crawlerPollSeconds if crawls legitimately take longer`;
  const failure = (error: string, cause: string): FailState | PassState =>
    args.onFailure.kind === "fail"
      ? { Type: "Fail", Error: error, Cause: cause }
      : {
          Type: "Pass",
          Result: { Error: error, Cause: cause },
          ResultPath: ERROR_PATH,
          Next: args.onFailure.state,
        };

  return {
    [names.reset]: reset,
    [names.start]: start,
    [names.wait]: wait,
    [names.get]: get,
    [names.count]: count,
    [names.done]: done,
    [names.failed]: failure(CRAWL_ERRORS.failed, failedCause),
    [names.pollLimit]: failure(CRAWL_ERRORS.pollLimit, limitCause),
  };
}
