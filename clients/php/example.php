<?php
// Usage: php example.php CONTROL_URL CLIENT_ID
// Binds a connected client to a uid and a group, then pushes to it: what a backend does after
// the browser sends it the client_id it got in SERVER_INIT. Exits non-zero on any surprise.
require __DIR__ . '/Gateway.php';

use Gatewayd\Gateway;
use Gatewayd\GatewayException;

[$script, $apiUrl, $clientId] = $argv + [null, null, null];
if (!$apiUrl || !$clientId) {
    fwrite(STDERR, "usage: php example.php CONTROL_URL CLIENT_ID\n");
    exit(2);
}
Gateway::$apiUrl = $apiUrl;
Gateway::$token = getenv('GATEWAYD_CONTROL_TOKEN') ?: '';

function check($cond, $what) {
    if (!$cond) {
        fwrite(STDERR, "FAILED: $what\n");
        exit(1);
    }
}

Gateway::bindUid($clientId, 'php-user');
Gateway::joinGroup($clientId, 'php-group');
Gateway::setSession($clientId, ['lang' => 'php']);
check(Gateway::sendToUid('php-user', ['type' => 'FROM_PHP']) === 1, 'sendToUid reaches one connection');
check(Gateway::isUidOnline('php-user') === 1, 'isUidOnline');
check(isset(Gateway::getAllClientIdList()[$clientId]), 'getAllClientIdList is keyed by client_id');
check(Gateway::getSession($clientId)['lang'] === 'php', 'getSession');
check(Gateway::getUidListByGroup('php-group') === ['php-user' => 'php-user'], 'getUidListByGroup');
check(Gateway::sendToGroup('php-group', 'group hello') === 1, 'sendToGroup');
try {
    Gateway::bindUid('not-a-client-id', 'x');
    check(false, 'a malformed client_id is refused');
} catch (GatewayException $e) {
    check(strpos($e->getMessage(), 'client_id') !== false, 'the error names the field');
}
echo "ok\n";
