#!/usr/bin/env node
// The published entry stays a plain file so npm can link the bin before the first build.
import "../dist/main.js";
