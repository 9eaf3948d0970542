// The policy pack users run with `pulumi preview --policy-pack policies`. Constructing a PolicyPack starts
// the policy analyzer server, so the rules live in ./rules.ts, which tests and the offline synth import.
import { PolicyPack } from "@pulumi/policy";
import { platformPolicies } from "./rules";

new PolicyPack("sensor-analytics", { policies: platformPolicies });
