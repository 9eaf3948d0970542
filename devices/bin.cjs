#!/usr/bin/env node
// Package bin `sensor-fleet`: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require("tsx/cjs");
require("./cli.ts").runAsProcess();
