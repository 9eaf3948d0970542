/** aedes on a loopback TCP port with an in-process subscriber: the smallest real broker for CLI tests. */
import net from "node:net";
import { Aedes, type AedesPublishPacket } from "aedes";
import type { TelemetryReceiver } from "./receiver";

export interface PlainBroker {
  readonly port: number;
  close(): Promise<void>;
}

export async function startPlainBroker(receiver: TelemetryReceiver): Promise<PlainBroker> {
  const aedes = await Aedes.createBroker();
  aedes.subscribe(
    "dt/#",
    (packet: AedesPublishPacket, callback: () => void) => {
      receiver.record(packet.topic, Buffer.from(packet.payload));
      callback();
    },
    () => undefined,
  );
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
