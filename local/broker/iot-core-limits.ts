/**
 * The limits of IoT Core's message broker that the local broker enforces, each beside its source, and the few
 * local ones IoT Core does not document (marked as such, with the reason for the value).
 *
 * IoT Core quotas: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
 * MQTT differences: https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html
 */

/**
 * "The payload for every publish request can be no larger than 128 KB. AWS IoT Core rejects publish and connect
 * requests larger than this size." (quotas, "Message size"). Over MQTT 3.1.1 a refusal is a disconnect: there is
 * no negative PUBACK.
 */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** "The topic passed to the message broker when publishing a message cannot exceed 256 bytes" (quotas, "Topic size"). */
export const MAX_TOPIC_BYTES = 256;

/**
 * Largest MQTT packet the broker reads (remaining length): a PUBLISH of the largest payload on the longest topic,
 * plus the topic length and packet identifier fields. A CONNECT is bounded by the same rule ("rejects publish and
 * connect requests larger than this size"). The connection is closed as soon as a larger length is announced,
 * before its bytes are buffered.
 */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + MAX_TOPIC_BYTES + 2 + 2;

/** "AWS IoT Core doesn't support publishing and subscribing with QoS 2" (MQTT differences): the client is disconnected. */
export const MAX_QOS = 1;

/** "Publish requests per second per connection: 100" (quotas). Publishes beyond it wait (the connection is throttled). */
export const PUBLISHES_PER_SECOND_PER_CONNECTION = 100;

/**
 * "Maximum inbound unacknowledged messages: 100 ... When this limit is reached, no new messages will be accepted
 * until an ACK is returned by the server" (quotas): the broker stops reading the connection until a PUBACK goes out.
 */
export const MAX_INFLIGHT_INBOUND = 100;

/**
 * Keep-alive: "IoT Core will treat any value less than 30 as 30"; 1,200 seconds is the maximum and the default
 * for 0 (quotas, "Keep-alive"); a client is disconnected after 1.5 times its keep-alive without a packet.
 */
export const KEEPALIVE_SECONDS = { min: 30, max: 1_200 } as const;

/**
 * Local (IoT Core documents no value): time for the TLS handshake and then for the MQTT CONNECT. A socket that
 * sends nothing holds a file descriptor; 10 seconds is generous for a loopback handshake and short enough that
 * idle sockets never pile up.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Local: connections a single source address may have open before the TLS handshake and CONNECT complete.
 * Devices finish both in milliseconds; a source that holds more is stalling, and the limit keeps it from taking
 * every slot.
 */
export const MAX_PENDING_CONNECTIONS_PER_SOURCE = 64;

/**
 * Local: file descriptors kept out of the connection budget for the rest of the process (log segments, lake
 * files, DuckDB, PGlite, the dashboard, the fleet's own sockets come on top).
 */
export const RESERVED_FILE_DESCRIPTORS = 256;
