/**
 * Mocha `require` hook: Pulumi's runtime wraps each promise of a registration in `debuggablePromise`, which
 * records `new Error().stack` on it for one purpose, printing where a leaked promise came from when
 * `PULUMI_DEBUG_PROMISE_LEAKS` is set. Under tsx, source maps are on, and Node maps every frame of every such
 * stack through them: about 16 CPU-seconds of the unit suites, for stacks nothing reads. Unless that variable
 * is set, the stacks are captured without frames (`Error.stackTraceLimit` 0 for the duration of the call);
 * everything else the function does, the promise itself included, is Pulumi's own.
 */

/** The module's run-time exports (its declaration file is empty: the SDK marks them internal). */
interface DebuggableModule {
  readonly debugPromiseLeaks: boolean;
  debuggablePromise<T>(promise: Promise<T>, context: unknown): Promise<T>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;

if (!debuggable.debugPromiseLeaks) {
  const record = debuggable.debuggablePromise.bind(debuggable);
  // Pulumi's modules call it through the module object (`debuggable_1.debuggablePromise(...)`), so replacing
  // the export reaches every caller.
  debuggable.debuggablePromise = <T>(promise: Promise<T>, context: unknown): Promise<T> => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return record(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}
