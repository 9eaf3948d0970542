// How the local servers listen: a busy port fails with an error naming the part, the address and the option
// that moves it; a free port (0) resolves with the port bound; errors after start-up go to onAcceptError.
import { expect } from "chai";
import * as net from "node:net";
import { listenLocally } from "../../../local/listen";

describe("listenLocally", function () {
  const servers: net.Server[] = [];
  const newServer = () => {
    const server = net.createServer();
    servers.push(server);
    return server;
  };
  afterEach(async function () {
    await Promise.all(
      servers
        .splice(0)
        .map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))),
    );
  });

  it("binds any free port with 0 and resolves with it", async function () {
    const server = newServer();
    const port = await listenLocally(server, {
      what: "the dashboard",
      host: "127.0.0.1",
      port: 0,
      portOption: "--port",
    });
    expect(port).to.be.above(0);
    expect((server.address() as net.AddressInfo).port).to.equal(port);
  });

  it("names the part, the address and the option when the port is in use", async function () {
    const taken = await listenLocally(newServer(), {
      what: "the broker",
      host: "127.0.0.1",
      port: 0,
      portOption: "--mqtt-port",
    });
    let error: Error | undefined;
    try {
      await listenLocally(newServer(), {
        what: "the HTTP API",
        host: "127.0.0.1",
        port: taken,
        portOption: "--api-port",
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.equal(
      `the HTTP API cannot listen on 127.0.0.1:${taken}: the port is in use; pass --api-port with another port, or 0 for any free one`,
    );
  });

  it("hands errors after start-up to onAcceptError and keeps listening", async function () {
    const server = newServer();
    const seen: string[] = [];
    await listenLocally(server, {
      what: "the broker",
      host: "127.0.0.1",
      port: 0,
      portOption: "--mqtt-port",
      onAcceptError: (err) => seen.push(err.message),
    });
    server.emit("error", new Error("EMFILE: too many open files"));
    server.emit("error", new Error("EMFILE again"));
    expect(seen).to.deep.equal(["EMFILE: too many open files", "EMFILE again"]);
    expect(server.listening).to.equal(true);
  });
});
