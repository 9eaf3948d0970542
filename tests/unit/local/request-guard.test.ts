// Who may talk to the local dashboard: loopback Host names only (DNS rebinding), and state-changing requests only
// from the dashboard's own origin with this run's token (cross-site requests).
import { expect } from "chai";
import { isLoopbackHost, isOwnOrigin, newRunToken, refusal } from "../../../local/dashboard/request-guard";

const PORT = 8080;
const TOKEN = newRunToken();
const request = (method: string, host: string | undefined, origin?: string, token?: string) =>
  refusal({ method, host, origin, token }, PORT, TOKEN);

describe("dashboard request guard", function () {
  it("takes loopback names with the dashboard's port in Host, and nothing else", function () {
    for (const host of ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080"])
      expect(isLoopbackHost(host, PORT), host).to.equal(true);
    for (const host of [
      undefined,
      "",
      "evil.example",
      "evil.example:8080",
      "127.0.0.1:9090",
      "127.0.0.1",
      "127.0.0.1.evil.example:8080",
      "localhost.:8080",
    ])
      expect(isLoopbackHost(host, PORT), String(host)).to.equal(false);
    expect(isLoopbackHost("127.0.0.1", 80)).to.equal(true);
  });

  it("takes only the dashboard's own origin", function () {
    expect(isOwnOrigin("http://127.0.0.1:8080", PORT)).to.equal(true);
    expect(isOwnOrigin("http://localhost:8080", PORT)).to.equal(true);
    for (const origin of [
      "https://evil.example",
      "http://127.0.0.1:9090",
      "https://127.0.0.1:8080",
      "null",
      "file://",
    ])
      expect(isOwnOrigin(origin, PORT), origin).to.equal(false);
  });

  it("lets reads through on a loopback Host and refuses a foreign Host (DNS rebinding)", function () {
    expect(request("GET", "127.0.0.1:8080")).to.equal(undefined);
    expect(request("GET", "evil.example:8080")).to.match(/^Host "evil\.example:8080" is not this dashboard/);
  });

  it("requires this run's token and the dashboard's origin for a POST", function () {
    expect(request("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", TOKEN)).to.equal(undefined);
    expect(request("POST", "127.0.0.1:8080", undefined, TOKEN)).to.equal(undefined); // curl sends no Origin
    expect(request("POST", "127.0.0.1:8080", "https://evil.example", TOKEN)).to.match(
      /from https:\/\/evil\.example is not from this dashboard/,
    );
    expect(request("POST", "127.0.0.1:8080", "http://127.0.0.1:8080")).to.match(/needs this run's token/);
    expect(request("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", newRunToken())).to.match(
      /needs this run's token/,
    );
    expect(request("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", TOKEN.slice(1))).to.match(
      /needs this run's token/,
    );
  });
});
