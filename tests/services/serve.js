// Starts kinesalite, kinesis-mock or dynalite (in memory) for tests and the demo.
//   node tests/services/serve.js kinesalite|kinesis-mock|dynalite [PORT]
// (PORT 0 or absent = a free port.) Prints the chosen port on stdout as one
// line once the server accepts connections, then serves until its stdin
// closes (or SIGTERM/SIGINT), so a test that dies can never leak the server.
// kinesalite and dynalite run in this process, bound to 127.0.0.1
// (kinesalite 3.3.3's own CLI has no host option). kinesis-mock (npm
// kinesis-local, the Kinesis engine LocalStack ships) is a child `node
// main.js` that binds every interface, plain HTTP on KINESIS_MOCK_PLAIN_PORT
// and TLS on KINESIS_MOCK_TLS_PORT: connect to it over 127.0.0.1.
'use strict'
var childProcess = require('child_process')
var net = require('net')
var path = require('path')

var modules = path.join(__dirname, '..', '..', 'node_modules')
var options = {
  kinesalite: {createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100},
  dynalite: {createTableMs: 0, deleteTableMs: 0, updateTableMs: 0},
  'kinesis-mock': null
}
var name = process.argv[2]
if (!Object.prototype.hasOwnProperty.call(options, name)) {
  process.stderr.write('usage: node serve.js kinesalite|kinesis-mock|dynalite [PORT]\n')
  process.exit(2)
}
var port = parseInt(process.argv[3] || '0', 10)
var stop = function () { process.exit(0) }

function fail (e) {
  process.stderr.write(name + ': ' + (e.message || e) + '\n')
  process.exit(1)
}

// A port nobody listens on now (0 asks the kernel; the short race until the
// child binds it is accepted: a failed start is reported, not retried).
function freePort (cb) {
  var s = net.createServer()
  s.on('error', fail)
  s.listen(0, '127.0.0.1', function () {
    var p = s.address().port
    s.close(function () { cb(p) })
  })
}

// Calls cb once 127.0.0.1:p accepts a connection; fails after 30 s.
function whenListening (p, child, cb) {
  var deadline = Date.now() + 30000
  function attempt () {
    if (child.exitCode !== null) return fail('exited with status ' + child.exitCode)
    var c = net.connect(p, '127.0.0.1')
    c.on('connect', function () { c.destroy(); cb() })
    c.on('error', function () {
      c.destroy()
      if (Date.now() > deadline) return fail('did not listen on ' + p + ' within 30 s')
      setTimeout(attempt, 50)
    })
  }
  attempt()
}

function startKinesisMock () {
  var pkg = path.join(modules, 'kinesis-local')
  freePort(function (tls) {
    var withPlain = function (plain) {
      var env = Object.assign({}, process.env, {
        KINESIS_MOCK_PLAIN_PORT: String(plain),
        KINESIS_MOCK_TLS_PORT: String(tls),
        KINESIS_MOCK_CERT_PATH: path.join(pkg, 'server.json'),
        LOG_LEVEL: 'ERROR',
        SHARD_LIMIT: '200',
        ON_DEMAND_STREAM_COUNT_LIMIT: '50'
      })
      // Stream operations take 500 ms each by default: tests wait for
      // ACTIVE, so make them quick (but not instant: UPDATING is seen).
      ;['CREATE_STREAM', 'DELETE_STREAM', 'MERGE_SHARDS', 'SPLIT_SHARD', 'UPDATE_SHARD_COUNT',
        'UPDATE_STREAM_MODE', 'REGISTER_STREAM_CONSUMER', 'DEREGISTER_STREAM_CONSUMER',
        'START_STREAM_ENCRYPTION', 'STOP_STREAM_ENCRYPTION'].forEach(function (k) {
        env[k + '_DURATION'] = '50ms'
      })
      // Its log (stack traces for requests it cannot handle) goes to the file
      // KINESIS_MOCK_LOG names, if any: a test's unread pipe would fill and stall it.
      var log = process.env.KINESIS_MOCK_LOG ? require('fs').openSync(process.env.KINESIS_MOCK_LOG, 'a')
        : 'ignore'
      var child = childProcess.spawn(process.execPath, [path.join(pkg, 'main.js')],
        {env: env, stdio: ['ignore', log, log]})
      child.on('error', fail)
      child.on('exit', function (code) { fail('kinesis-mock exited (' + code + ')') })
      stop = function () {
        child.removeAllListeners('exit')
        child.kill('SIGKILL')
        process.exit(0)
      }
      whenListening(plain, child, function () { process.stdout.write(plain + '\n') })
    }
    if (port) withPlain(port)
    else freePort(withPlain)
  })
}

function startInProcess () {
  var server = require(path.join(modules, name))(options[name])
  server.listen(port, '127.0.0.1', function () {
    process.stdout.write(server.address().port + '\n')
  })
  server.on('error', fail)
  stop = function () { server.close(); process.exit(0) }
}

if (name === 'kinesis-mock') startKinesisMock()
else startInProcess()

function onStop () { stop() }
process.stdin.on('end', onStop)
process.stdin.on('close', onStop)
process.stdin.on('error', onStop)
process.stdin.resume()
process.on('SIGTERM', onStop)
process.on('SIGINT', onStop)
