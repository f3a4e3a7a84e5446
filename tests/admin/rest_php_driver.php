<?php
// Drives the admin REST API through the vendor guide's S3_requestCurl helper
// (S3_requestCurl.php, verbatim), making the same calls, with the same query
// strings, as the guide's WHMCS scripts (000_*.txt, "Integration with WHMCS").
//
//   php rest_php_driver.php GATEWAY_URL S3_KEY S3_SECRET EMAIL BUCKET
//
// GATEWAY_URL is given as the guide's S3_getConfig() has it ("http://host:port",
// no trailing slash). Prints one JSON line per call:
//   {"step": "...", "result": <json_encode of what S3_requestCurl returned>}
// (null for calls the gateway answers with an empty body).

require(__DIR__ . '/S3_requestCurl.php');

if ($argc != 6) {
    fwrite(STDERR, "usage: php rest_php_driver.php GATEWAY_URL S3_KEY S3_SECRET EMAIL BUCKET\n");
    exit(2);
}
$s3_gateway = $argv[1];
$s3_key = $argv[2];
$s3_secret = $argv[3];
$email = $argv[4];
$bucket = $argv[5];

function step($name, $query, $method) {
    global $s3_key, $s3_secret, $s3_gateway;
    $result = S3_requestCurl($s3_key, $s3_secret, $s3_gateway, $query, $method);
    echo json_encode(array('step' => $name, 'result' => $result)), "\n";
    return $result;
}

// S3_createUser.php
step('create', "?ostor-users&emailAddress=" . $email, "PUT");
// S3_listUsers.php
step('list', "?ostor-users", "GET");
// S3_queryUser.php
step('query', "?ostor-users&emailAddress=" . $email, "GET");
// S3_generateAccessKey.php
step('genKey', "?ostor-users&emailAddress=" . $email . "&genKey", "POST");
step('query-after-genKey', "?ostor-users&emailAddress=" . $email, "GET");
// S3_revokeAccessKey.php: revokes the first key pair it reads (none when the
// read was refused).
$client = step('get-first-key', "?ostor-users&emailAddress=" . $email, "GET");
step('revokeKey', "?ostor-users&emailAddress=" . $email .
    "&revokeKey=" . ($client['AWSAccessKeys']['0']['AWSAccessKeyId'] ?? ''), "POST");
step('query-after-revokeKey', "?ostor-users&emailAddress=" . $email, "GET");
// S3_disableUser.php / S3_enableUser.php
step('disable', "?ostor-users&emailAddress=" . $email . "&disable", "POST");
step('query-after-disable', "?ostor-users&emailAddress=" . $email, "GET");
step('enable', "?ostor-users&emailAddress=" . $email . "&enable", "POST");
step('query-after-enable', "?ostor-users&emailAddress=" . $email, "GET");
// S3_setLimitsForUser.php (ops, then bandwidth), S3_getLimitsForUser.php,
// S3_deleteLimitsForUser.php
step('set-limits-ops', "?ostor-limits&emailAddress=" . $email .
    "&limit-type=ops&limit-resource=" . 'get' . '&limit-value=' . '3600', "PUT");
step('set-limits-bandwidth', "?ostor-limits&emailAddress=" . $email .
    "&limit-type=bandwidth&limit-resource=" . 'out' . '&limit-value=' . '100', "PUT");
step('get-limits', "?ostor-limits&emailAddress=" . $email, "GET");
step('delete-limits', "?ostor-limits&emailAddress=" . $email, "DELETE");
step('get-limits-after-delete', "?ostor-limits&emailAddress=" . $email, "GET");
// S3_setLimitsForBucket.php, S3_getLimitsForBucket.php, S3_deleteLimitsForBucket.php
step('set-bucket-limits-ops', "?ostor-limits&bucket=" . $bucket .
    "&limit-type=ops&limit-resource=" . 'put' . '&limit-value=' . '12.5', "PUT");
step('get-bucket-limits', "?ostor-limits&bucket=" . $bucket, "GET");
step('delete-bucket-limits', "?ostor-limits&bucket=" . $bucket, "DELETE");
// S3_listStatistics.php
step('usage-list', "?ostor-usage", "GET");
// S3_deleteUser.php: reads the user, then deletes it.
step('get-before-delete', "?ostor-users&emailAddress=" . $email, "GET");
step('delete', "?ostor-users&emailAddress=" . $email, "DELETE");
step('query-after-delete', "?ostor-users&emailAddress=" . $email, "GET");
