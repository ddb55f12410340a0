// better-sqlite3 falls back to compiling its addon with node-gyp when no prebuilt binary can be
// downloaded (offline or firewalled machines). node-gyp then tries to download Node's headers too,
// unless told where the local ones are; pnpm only passes a short list of variables to build
// scripts, so we hand it npm_config_nodedir here when the running Node ships its headers.
const fs = require('node:fs');
const path = require('node:path');

function localNodeDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

module.exports = {
  hooks: {
    updateConfig(config) {
      const nodedir = process.env.npm_config_nodedir || localNodeDir();
      if (!nodedir) return config;
      return { ...config, extraEnv: { ...config.extraEnv, npm_config_nodedir: nodedir } };
    },
  },
};
