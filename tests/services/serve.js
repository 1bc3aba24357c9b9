// Starts kinesalite or dynalite (in memory) on 127.0.0.1 for tests and the demo.
//   node tests/services/serve.js kinesalite|dynalite [PORT]   (PORT 0 or absent = a free port)
// Prints the chosen port on stdout as one line, then serves until its stdin
// closes (or SIGTERM/SIGINT), so a test that dies can never leak the server.
// kinesalite 3.3.3's own CLI has no host option and binds every interface.
'use strict'
var path = require('path')

var options = {
  kinesalite: {createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100},
  dynalite: {createTableMs: 0, deleteTableMs: 0, updateTableMs: 0}
}
var name = process.argv[2]
if (!Object.prototype.hasOwnProperty.call(options, name)) {
  process.stderr.write('usage: node serve.js kinesalite|dynalite [PORT]\n')
  process.exit(2)
}
var create = require(path.join(__dirname, '..', '..', 'node_modules', name))
var port = parseInt(process.argv[3] || '0', 10)
var server = create(options[name])
server.listen(port, '127.0.0.1', function () {
  process.stdout.write(server.address().port + '\n')
})
server.on('error', function (e) {
  process.stderr.write(name + ': ' + e.message + '\n')
  process.exit(1)
})
function stop () { server.close(); process.exit(0) }
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.on('error', stop)
process.stdin.resume()
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
