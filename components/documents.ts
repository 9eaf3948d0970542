/**
 * A registry of the documents a program generates (IAM and IoT policies, state machines, SQL), so people
 * (and tools such as asl-validator) can read each one. Registering has no effect on what is deployed.
 *
 * In-process runs read the registry ({@link registeredDocuments}). A program run in its own process (by
 * `pulumi preview`/`up`, or the offline synth through `@pulumi/pulumi/cmd/run`) writes every document, once its
 * Outputs are known, into the directory named by {@link DOCUMENTS_DIR_ENV} when that variable is set.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** Environment variable naming a directory to write every registered document to (unset: none written). */
export const DOCUMENTS_DIR_ENV = "SENSOR_ANALYTICS_DOCUMENTS_DIR";

export type DocumentKind = "json" | "asl" | "sql" | "text";

export interface GeneratedDocument {
  /** File name without extension, unique per program, e.g. `iot-device-policy`. */
  readonly name: string;
  readonly kind: DocumentKind;
  /** A JSON value (json, asl) or text (sql, text); may contain Outputs. */
  readonly content: pulumi.Input<unknown>;
}

const documents = new Map<string, GeneratedDocument>();

/** Records a generated document. A second document under the same name is a bug and throws. */
export function registerDocument(name: string, kind: DocumentKind, content: pulumi.Input<unknown>): void {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new Error(`document name "${name}" must be lowercase letters, digits, ".", "_" or "-"`);
  }
  if (documents.has(name)) throw new Error(`document "${name}" is registered twice`);
  documents.set(name, { name, kind, content });
  const dir = process.env[DOCUMENTS_DIR_ENV];
  if (dir) {
    const output = pulumi.output(content) as pulumi.Output<unknown>;
    void Promise.resolve((output as unknown as { isSecret: Promise<boolean> }).isSecret).then((secret) =>
      output.apply((value: unknown) =>
        writeDocument(dir, { name, kind, content: secret ? "[secret]" : value }),
      ),
    );
  }
}

/** Writes a resolved document as `<dir>/<name><extension>`: JSON pretty-printed, text with a final newline. */
export function writeDocument(
  dir: string,
  doc: { name: string; kind: DocumentKind; content: unknown },
): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${doc.name}${documentExtension(doc.kind)}`);
  if (doc.kind === "json" || doc.kind === "asl") {
    const value =
      typeof doc.content === "string" && doc.content !== "[secret]" ? JSON.parse(doc.content) : doc.content;
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  } else {
    fs.writeFileSync(file, `${String(doc.content).trimEnd()}\n`);
  }
}

/** Every registered document, in registration order. */
export function registeredDocuments(): GeneratedDocument[] {
  return [...documents.values()];
}

/** Forgets every document (between programs run in one process, e.g. tests). */
export function clearDocuments(): void {
  documents.clear();
}

/** File extension the synth uses for a kind. */
export function documentExtension(kind: DocumentKind): string {
  return { json: ".json", asl: ".asl.json", sql: ".sql", text: ".txt" }[kind];
}
