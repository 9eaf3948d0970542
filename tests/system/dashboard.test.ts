// The local dashboard in a real browser: Debian's headless Chromium (playwright-core) loads the page of a running
// backend and checks what it shows: the uPlot chart with one series per room and the anomaly markers, the
// completeness table with one row per device, the pipeline executions, the pipeline metrics, live counters that
// grow, and (the streaming stack's ingest stream on) the latest reading per device and the room summaries read
// through the latest-state routes.
// Needs the `chromium` Debian package (`apt-get install -y chromium`; .ci/run installs it for this suite).
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { parseAnomalySpec } from "../../devices/model/anomalies";
import { LocalBackend } from "../../local/backend";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("local dashboard in Chromium", function () {
  this.timeout(120_000);
  let dataDir: string;
  let backend: LocalBackend;
  let browser: Browser;

  before(async function () {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "local-dashboard-"));
    backend = await LocalBackend.start(
      {
        help: false,
        devices: 4,
        durationMs: 60_000,
        speed: 300,
        port: 0,
        mqttPort: 0,
        apiPort: 0,
        dataDir,
        // The dev stack with the ingest stream and the HTTP API on; its poller's endpoint does not exist offline.
        stack: "streaming",
        intervalMs: 10_000,
        anomalies: parseAnomalySpec("3%,spike"),
        seed: "3",
        fleet: true,
        dashboard: true,
        json: true,
      },
      () => undefined,
      (config) => ({ ...config, pollers: [] }),
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  });

  after(async function () {
    await browser?.close();
    if (backend) await backend.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows temperature per room, anomalies, completeness per device and pipeline status, updating live", async function () {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    const routes: string[] = [];
    page.on("request", (r) => routes.push(new URL(r.url()).pathname));
    await page.goto(backend.parts.dashboardUrl!);
    await page.waitForSelector("#connection.live");

    // Live counter: readings in grows while the page is open (Server-Sent Events, no reload).
    const first = Number(await page.textContent("#accepted"));
    await page.waitForFunction(
      `Number(document.querySelector("#accepted").textContent) > ${first + 50}`,
      undefined,
      { timeout: 30_000 },
    );

    // The chart: uPlot's canvas, a legend entry per room of the stack plus the anomaly series.
    await page.waitForSelector("#chart canvas");
    const legend = await page.$$eval("#chart .u-legend .u-series .u-label", (labels) =>
      labels.map((l) => l.textContent),
    );
    expect(legend).to.include.members(["lab", "office", "anomaly"]);

    // Anomalies appear once the model (trained by the first ETL) has scored a window.
    await page.waitForFunction(`Number(document.querySelector("#anomalies").textContent) > 0`, undefined, {
      timeout: 60_000,
    });

    // One completeness row per device of the fleet, each with a percentage.
    await page.waitForFunction(`document.querySelectorAll("#completeness tbody tr").length >= 4`, undefined, {
      timeout: 30_000,
    });
    const devices = await page.$$eval("#completeness tbody tr td:first-child", (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(new Set(devices)).to.deep.equal(new Set(backend.parts.devices.map((d) => d.thingName)));
    const pct = await page.$$eval("#completeness tbody tr td:last-child", (cells) =>
      cells.map((c) => c.textContent),
    );
    expect(pct.every((p) => /^\d+\.\d%$/.test(p ?? ""))).to.equal(true);

    const deployment = backend.parts.config.deployment;
    // The pipelines: the first ETL and the training it started, succeeded.
    const executions = await page.$$eval("#executions tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(
      executions.some(([machine, , status]) => machine === `${deployment}-etl` && status === "SUCCEEDED"),
    ).to.equal(true);
    expect(
      executions.some(
        ([machine, , status]) => machine === `${deployment}-training` && status === "SUCCEEDED",
      ),
    ).to.equal(true);
    // The pipeline metrics the functions published: readings scored once a window was scored, with its statistic.
    await page.waitForFunction(
      `[...document.querySelectorAll("#metrics tbody tr td:first-child")].some((td) => td.textContent === "ReadingsScored")`,
      undefined,
      { timeout: 30_000 },
    );
    const metrics = await page.$$eval("#metrics tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)),
    );
    const scored = metrics.find(([name]) => name === "ReadingsScored")!;
    expect(scored[1]).to.match(/^\d+ \(sum\)$/);
    expect(metrics.find(([name]) => name === "ModelsPromoted")?.[1]).to.match(/^\d+ \(sum\)$/);
    expect(await page.textContent("#last-error")).to.equal("none");

    // The latest state, read by the page through GET /devices/{id}/latest and GET /rooms/{room}/summary (the
    // dashboard serves them with the latest-state handler): a row per device the consumer has seen, a row per room.
    await page.waitForFunction(
      `document.querySelectorAll("#latest tbody tr").length >= ${backend.parts.devices.length}`,
      undefined,
      { timeout: 30_000 },
    );
    const latest = await page.$$eval("#latest tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(new Set(latest.map(([device]) => device))).to.deep.equal(
      new Set(backend.parts.devices.map((d) => d.thingName)),
    );
    expect(
      latest.every(([, room, celsius]) => room !== "-" && /^-?\d+(\.\d+)?$/.test(celsius ?? "")),
    ).to.equal(true);
    const rooms = await page.$$eval("#room-summary tbody tr", (rows) =>
      rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)),
    );
    expect(rooms.map(([room]) => room)).to.deep.equal([...backend.parts.config.fleet.rooms]);
    expect(rooms.some(([, readings]) => Number(readings) > 0)).to.equal(true);
    expect(routes.some((r) => /^\/devices\/[^/]+\/latest$/.test(r))).to.equal(true);
    expect(routes.some((r) => /^\/rooms\/[^/]+\/summary$/.test(r))).to.equal(true);

    // The button's POST carries this run's token from the page: the server starts the ETL (or says one runs).
    await page.click("#run-etl");
    await page.waitForFunction(`document.querySelector("#run-etl").textContent !== "Run ETL now"`);
    expect(await page.textContent("#run-etl")).to.be.oneOf([
      "ETL started",
      "an ETL execution is already running",
    ]);
    expect(errors).to.deep.equal([]);
  });
});
