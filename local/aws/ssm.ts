/**
 * Local SSM Parameter Store: String parameters kept in `<data>/ssm/parameters.json`, so what one run records
 * (the promoted model) is there for the next run's local deployment, as Parameter Store is for `pulumi up`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PutParameterCommandInput, SSMClient } from "@aws-sdk/client-ssm";
import { writeFileDurably } from "../lake/object-store";
import { LOCAL_CLIENT_CONFIG, serveLocally } from "./serve-locally";

function ssmError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

export class LocalParameterStore {
  private readonly file: string;
  private readonly parameters: Record<string, { value: string; version: number }>;

  constructor(stateDir: string) {
    fs.mkdirSync(stateDir, { recursive: true });
    this.file = path.join(stateDir, "parameters.json");
    this.parameters = fs.existsSync(this.file)
      ? (JSON.parse(fs.readFileSync(this.file, "utf8")) as LocalParameterStore["parameters"])
      : {};
  }

  /** The value of a parameter, or `undefined` when it does not exist. */
  get(name: string): string | undefined {
    return this.parameters[name]?.value;
  }

  /** PutParameter: a new parameter, or a new version of an existing one with `Overwrite`. */
  put(input: { Name?: string; Value?: string; Type?: string; Overwrite?: boolean }): { Version: number } {
    if (!input.Name || input.Value === undefined)
      throw ssmError("ValidationException", "PutParameter needs a Name and a Value");
    if (input.Type !== undefined && input.Type !== "String")
      throw ssmError(
        "ValidationException",
        `the local Parameter Store keeps String parameters only (got ${input.Type})`,
      );
    const existing = this.parameters[input.Name];
    if (existing && !input.Overwrite)
      throw ssmError(
        "ParameterAlreadyExists",
        `parameter ${input.Name} exists; set Overwrite to replace its value`,
      );
    const version = (existing?.version ?? 0) + 1;
    this.parameters[input.Name] = { value: input.Value, version };
    writeFileDurably(this.file, Buffer.from(`${JSON.stringify(this.parameters, null, 2)}\n`));
    return { Version: version };
  }

  client(): SSMClient {
    return serveLocally(new SSMClient(LOCAL_CLIENT_CONFIG), "SSM", {
      PutParameterCommand: (input: PutParameterCommandInput) => this.put(input),
    });
  }
}
