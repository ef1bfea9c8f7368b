// Compiles Anchor.sol with solc-js (standard JSON, evmVersion paris, optimizer
// on) and writes Anchor.abi and Anchor.bin beside it. Run by gen.sh.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(process.env.SOLC_MODULE || 'solc');

const dir = __dirname;
const input = {
  language: 'Solidity',
  sources: { 'Anchor.sol': { content: fs.readFileSync(path.join(dir, 'Anchor.sol'), 'utf8') } },
  settings: {
    evmVersion: 'paris',
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { Anchor: ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
for (const e of out.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
const c = out.contracts['Anchor.sol'].Anchor;
fs.writeFileSync(path.join(dir, 'Anchor.abi'), JSON.stringify(c.abi, null, 2) + '\n');
fs.writeFileSync(path.join(dir, 'Anchor.bin'), c.evm.bytecode.object + '\n');
console.log('compiled Anchor.sol with solc ' + solc.version());
