#!/usr/bin/env node
"use strict";
// Package bin shim (`sensor-rcf`): registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
// cli.ts starts itself again with the command's Node flags (RCF_NODE_FLAGS in cli-options.ts).
require("tsx/cjs");
require("./cli.ts");
