// AWS's own Kinesis clients as an independent peer for Eddy's tests: the AWS
// SDK for JavaScript v3 (@aws-sdk/client-kinesis, over its HTTP/1.1 handler:
// the HTTP/2 default fails on kinesalite and kinesis-mock) and AWS's KPL
// aggregation module (aws-kinesis-agg).
//
//   node kinesis_peer.js put STREAM N KEYS [--aggregate]
//       puts N records {"i":I,"k":"key-(I % KEYS)","pad":"..."} (about 300
//       bytes) with partition key key-(I % KEYS), plain (PutRecords of up to
//       500) or aggregated by aws-kinesis-agg (aggregates of up to 1 MiB);
//       prints {"put": N, "kinesis_records": M, "by_key": {KEY: count}}
//   node kinesis_peer.js read STREAM
//       reads every shard from TRIM_HORIZON to its tip with GetRecords and
//       de-aggregates each record with aws-kinesis-agg, checksums on; prints
//       {"kinesis_records": M, "aggregated": A, "user_records": [{"pk", "ehk",
//       "seq", "sub", "data"}]} (data as base64)
//
// The endpoint, region and credentials come from the environment
// (AWS_ENDPOINT_URL_KINESIS, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY), as Eddy's do. Exit 0, or 1 with the error on stderr.
'use strict'
var path = require('path')
var modules = path.join(__dirname, '..', '..', 'node_modules')
var sdk = require(path.join(modules, '@aws-sdk', 'client-kinesis'))
var NodeHttpHandler = require(path.join(modules, '@smithy', 'node-http-handler')).NodeHttpHandler
var agg = require(path.join(modules, 'aws-kinesis-agg'))

function client () {
  return new sdk.KinesisClient({
    endpoint: process.env.AWS_ENDPOINT_URL_KINESIS,
    region: process.env.AWS_REGION || 'us-east-1',
    credentials: {accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'test'},
    requestHandler: new NodeHttpHandler({connectionTimeout: 5000, requestTimeout: 30000}),
    maxAttempts: 3
  })
}

// PutRecords of entries [{Data, PartitionKey, ExplicitHashKey?}], in batches
// of up to 500, in order; fails on any failed entry (the servers never throttle).
async function putAll (k, stream, entries) {
  for (var i = 0; i < entries.length; i += 500) {
    var out = await k.send(new sdk.PutRecordsCommand({StreamName: stream,
      Records: entries.slice(i, i + 500)}))
    if (out.FailedRecordCount) throw new Error('PutRecords: ' + out.FailedRecordCount + ' failed')
  }
}

// Encodes user records into KPL aggregates with aws-kinesis-agg.
function aggregate (records) {
  return new Promise(function (resolve, reject) {
    var encoded = []
    agg.aggregate(records, function (rec, done) {
      var e = {Data: rec.data, PartitionKey: rec.partitionKey}
      if (rec.ExplicitHashKey) e.ExplicitHashKey = rec.ExplicitHashKey
      encoded.push(e)
      done()
    }, function () { resolve(encoded) }, function (err) { reject(err) })
  })
}

async function put (stream, n, keys, aggregated) {
  var records = []
  var byKey = {}
  for (var i = 0; i < n; i++) {
    var pk = 'key-' + (i % keys)
    records.push({partitionKey: pk,
      data: Buffer.from(JSON.stringify({i: i, k: pk, pad: 'p'.repeat(250)}))})
    byKey[pk] = (byKey[pk] || 0) + 1
  }
  var entries = aggregated ? await aggregate(records)
    : records.map(function (r) { return {Data: r.data, PartitionKey: r.partitionKey} })
  await putAll(client(), stream, entries)
  return {put: n, kinesis_records: entries.length, by_key: byKey}
}

function deaggregate (rec) {
  return new Promise(function (resolve, reject) {
    agg.deaggregateSync({partitionKey: rec.PartitionKey, sequenceNumber: rec.SequenceNumber,
      data: Buffer.from(rec.Data).toString('base64')}, true, function (err, users) {
      if (err) reject(err)
      else resolve(users)
    })
  })
}

async function read (stream) {
  var k = client()
  var shards = []
  var page = await k.send(new sdk.ListShardsCommand({StreamName: stream}))
  for (;;) {
    shards = shards.concat(page.Shards)
    if (!page.NextToken) break
    page = await k.send(new sdk.ListShardsCommand({NextToken: page.NextToken}))
  }
  var out = {kinesis_records: 0, aggregated: 0, user_records: []}
  for (var s of shards) {
    var it = (await k.send(new sdk.GetShardIteratorCommand({StreamName: stream,
      ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON'}))).ShardIterator
    while (it) {
      var got = await k.send(new sdk.GetRecordsCommand({ShardIterator: it, Limit: 10000}))
      for (var rec of got.Records) {
        out.kinesis_records++
        var data = Buffer.from(rec.Data)
        if (data.slice(0, 4).toString('hex') === 'f3899ac2') out.aggregated++
        for (var u of await deaggregate(rec)) {
          out.user_records.push({pk: u.partitionKey, ehk: u.explicitPartitionKey || null,
            seq: String(u.sequenceNumber), sub: u.subSequenceNumber === undefined ? null
              : u.subSequenceNumber, data: Buffer.from(u.data, 'base64').toString('base64')})
        }
      }
      it = got.NextShardIterator
      if (!got.Records.length && !got.MillisBehindLatest) break // at the tip
    }
  }
  return out
}

async function main () {
  var argv = process.argv.slice(2)
  var result
  if (argv[0] === 'put' && argv.length >= 4) {
    result = await put(argv[1], parseInt(argv[2], 10), parseInt(argv[3], 10),
      argv.indexOf('--aggregate') >= 0)
  } else if (argv[0] === 'read' && argv.length === 2) {
    result = await read(argv[1])
  } else {
    process.stderr.write('usage: node kinesis_peer.js put STREAM N KEYS [--aggregate] | ' +
      'read STREAM\n')
    process.exit(2)
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

main().catch(function (e) {
  process.stderr.write('kinesis_peer: ' + (e.name || 'Error') + ': ' + e.message + '\n')
  process.exit(1)
})
