#!/usr/bin/env node
"use strict";
// Package bin shim (`sensor-rcf`): registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require("tsx/cjs");
require("./cli.ts");
