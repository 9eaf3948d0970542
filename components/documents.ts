/**
 * A registry of the documents a program generates (IAM and IoT policies, state machines, SQL), so the
 * offline synth can write each one to `.synth/<stack>/documents/` for people (and tools such as
 * asl-validator) to read. Registering has no effect on what is deployed.
 */
import * as pulumi from "@pulumi/pulumi";

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
