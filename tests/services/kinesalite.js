// Starts kinesalite (in memory) on 127.0.0.1 for tests and the demo.
//   node tests/services/kinesalite.js [PORT]     (PORT 0 or absent = a free port)
// Prints the chosen port on stdout as one line, then serves until its stdin
// closes (or SIGTERM/SIGINT), so a test that dies can never leak the server.
// kinesalite 3.3.3's own CLI has no host option and binds every interface.
'use strict'
var path = require('path')
var kinesalite = require(path.join(__dirname, '..', '..', 'node_modules', 'kinesalite'))

var port = parseInt(process.argv[2] || '0', 10)
var server = kinesalite({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100})
server.listen(port, '127.0.0.1', function () {
  process.stdout.write(server.address().port + '\n')
})
server.on('error', function (e) {
  process.stderr.write('kinesalite: ' + e.message + '\n')
  process.exit(1)
})
function stop () { server.close(); process.exit(0) }
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.on('error', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
