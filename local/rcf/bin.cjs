#!/usr/bin/env -S node --max-semi-space-size=8
"use strict";
// Package bin shim (`sensor-rcf`): registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
// The shebang passes the command's Node flags (RCF_NODE_FLAGS in cli-options.ts: a bounded young generation).
require("tsx/cjs");
require("./cli.ts");
