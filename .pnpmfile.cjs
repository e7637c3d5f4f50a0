// pnpm does not pass npm's `nodedir` to native builds. When the machine has Node's headers
// installed (Debian's nodejs / the official tarball under /usr), point node-gyp at them so
// better-sqlite3 compiles offline instead of downloading headers.
const fs = require('node:fs');
const path = require('node:path');

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  for (const dir of [prefix, '/usr', '/usr/local']) {
    if (fs.existsSync(path.join(dir, 'include', 'node', 'node.h'))) return dir;
  }
  return undefined;
}

module.exports = {
  hooks: {
    updateConfig(config) {
      const dir = nodeDir();
      if (dir) {
        config.extraEnv = { ...(config.extraEnv ?? {}), npm_config_nodedir: dir };
      }
      return config;
    },
  },
};
