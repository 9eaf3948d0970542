/**
 * Local SNS: the failure and anomaly-alert topics. A published message is what an e-mail subscriber would
 * receive; locally it goes to the log (one line, subject first) and is kept for the dashboard and the summary.
 */
import { randomUUID } from "node:crypto";
import { PublishCommandInput, SNSClient } from "@aws-sdk/client-sns";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

export interface PublishedNotice {
  readonly topicArn: string;
  readonly subject: string;
  readonly message: string;
  /** Simulated time of publication, epoch ms. */
  readonly at: number;
}

/** Notices kept in memory (the log has them all). */
const KEEP = 200;

export class LocalSns {
  readonly published: PublishedNotice[] = [];
  /** Every notice ever published in this run, by topic ARN. */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly now: () => number,
  ) {}

  publish(input: { TopicArn?: string; Subject?: string; Message?: string }): { MessageId: string } {
    if (!input.TopicArn)
      throw Object.assign(new Error("Publish needs a TopicArn"), { name: "InvalidParameterException" });
    const notice: PublishedNotice = {
      topicArn: input.TopicArn,
      subject: input.Subject ?? "",
      message: input.Message ?? "",
      at: this.now(),
    };
    this.published.push(notice);
    if (this.published.length > KEEP) this.published.shift();
    this.counts.set(input.TopicArn, (this.counts.get(input.TopicArn) ?? 0) + 1);
    const topic = input.TopicArn.slice(input.TopicArn.lastIndexOf(":") + 1);
    this.log(`[sns ${topic}] ${notice.subject}: ${notice.message.replace(/\s+/g, " ")}`);
    return { MessageId: randomUUID() };
  }

  client(): SNSClient {
    return serveLocally(new SNSClient(LOCAL_CLIENT_CONFIG), "SNS", {
      PublishCommand: (input: PublishCommandInput) => this.publish(input),
    });
  }
}
