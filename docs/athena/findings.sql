-- Amazon Athena / AWS Glue table over snapscan's findings NDJSON (one finding a line, shaped by
-- schemas/finding.schema.json 1.0; the column list is checked against that schema by
-- test/docs/athena-ddl.test.ts). Replace BUCKET/PREFIX. Partitions come from the key layout
-- (findings/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/RESOURCE.ndjson) by partition projection: no
-- MSCK REPAIR, no crawler. `run` is injected: queries name the run, taken from the newest
-- manifest.json (a run without a manifest is incomplete; see docs/consumer.md).
-- The same folders hold RESOURCE.csv and the run's manifest.json: 'ignore.malformed.json' turns
-- their lines into NULL rows, and the view below keeps only the NDJSON objects.
CREATE EXTERNAL TABLE IF NOT EXISTS snapscan_findings (
  `schemaVersion` string,
  `findingArn` string,
  `awsAccountId` string,
  `type` string,
  `title` string,
  `description` string,
  `severity` string,
  `inspectorScore` double,
  `inspectorScoreDetails` struct<
    adjustedCvss: struct<
      score: double,
      scoreSource: string,
      cvssSource: string,
      scoringVector: string,
      version: string,
      adjustments: array<struct<metric: string, reason: string>>
    >
  >,
  `status` string,
  `fixAvailable` string,
  `exploitAvailable` string,
  `exploitabilityDetails` struct<lastKnownExploitAt: string>,
  `epss` struct<score: double, percentile: double>,
  `packageVulnerabilityDetails` struct<
    vulnerabilityId: string,
    source: string,
    sourceUrl: string,
    cvss: array<struct<baseScore: double, scoringVector: string, version: string, source: string>>,
    relatedVulnerabilities: array<string>,
    referenceUrls: array<string>,
    vendorSeverity: string,
    vendorStatus: string,
    vendorCreatedAt: string,
    vendorUpdatedAt: string,
    advisoryIds: array<string>,
    vulnerablePackages: array<struct<
      name: string,
      version: string,
      epoch: int,
      release: string,
      arch: string,
      packageManager: string,
      filePath: string,
      fixedInVersion: string,
      remediation: string,
      purl: string,
      sourceName: string
    >>
  >,
  `remediation` struct<recommendation: struct<text: string, Url: string>>,
  `resources` array<struct<
    type: string,
    id: string,
    partition: string,
    region: string,
    tags: map<string, string>,
    details: string
  >>,
  `matchStatus` string,
  `matchReason` string,
  `firstObservedAt` string,
  `lastObservedAt` string,
  `updatedAt` string
)
PARTITIONED BY (`dt` string, `run` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')
LOCATION 's3://BUCKET/PREFIX/findings/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = 'NOW-400DAYS,NOW',
  'projection.run.type' = 'injected',
  'storage.location.template' = 's3://BUCKET/PREFIX/findings/dt=${dt}/run=${run}/'
);

CREATE OR REPLACE VIEW snapscan_findings_ndjson AS
SELECT * FROM snapscan_findings
WHERE "$path" LIKE '%.ndjson' AND findingArn IS NOT NULL;
