// Starts dynalite (in memory) on 127.0.0.1 for tests and the demo.
//   node tests/services/dynalite.js [PORT]     (PORT 0 or absent = a free port)
// Prints the chosen port on stdout as one line, then serves until its stdin
// closes (or SIGTERM/SIGINT), so a test that dies can never leak the server.
'use strict'
var path = require('path')
var dynalite = require(path.join(__dirname, '..', '..', 'node_modules', 'dynalite'))

var port = parseInt(process.argv[2] || '0', 10)
var server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0})
server.listen(port, '127.0.0.1', function () {
  process.stdout.write(server.address().port + '\n')
})
server.on('error', function (e) {
  process.stderr.write('dynalite: ' + e.message + '\n')
  process.exit(1)
})
function stop () { server.close(); process.exit(0) }
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.on('error', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
