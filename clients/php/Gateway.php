<?php
/**
 * gatewayd client for PHP: GatewayWorker's GatewayClient API over gatewayd's HTTP control port.
 *
 * Drop-in for code written against GatewayClient\Gateway (PhalApi, ThinkPHP, Laravel, plain
 * PHP): the same static method names and return shapes. Needs no extension beyond PHP's
 * standard streams (curl is used when present).
 *
 *   require 'Gateway.php';
 *   \Gatewayd\Gateway::$apiUrl = 'http://127.0.0.1:8283';
 *   \Gatewayd\Gateway::$token  = getenv('GATEWAYD_CONTROL_TOKEN') ?: '';
 *   \Gatewayd\Gateway::bindUid($clientId, $uid);
 *   \Gatewayd\Gateway::sendToUid($uid, ['type' => 'PORTAL_BIND']);
 *
 * Errors (gateway down, bad arguments) throw \Gatewayd\GatewayException with the gateway's message.
 */

namespace Gatewayd;

class GatewayException extends \RuntimeException
{
}

class Gateway
{
    /** @var string control URL of gatewayd */
    public static $apiUrl = 'http://127.0.0.1:8283';
    /** @var string control token ('' when the gateway needs none) */
    public static $token = '';
    /** @var float seconds */
    public static $timeout = 5.0;

    // ---- pushes (GatewayClient returns nothing useful; we return how many connections got it)
    public static function sendToAll($message, $client_id_array = null, $exclude_client_id = null)
    {
        $p = ['message' => $message];
        if ($client_id_array !== null) $p['client_ids'] = array_values((array)$client_id_array);
        if ($exclude_client_id !== null) $p['exclude_client_ids'] = array_values((array)$exclude_client_id);
        return self::call('sendToAll', $p)['delivered'];
    }
    public static function sendToClient($client_id, $message)
    {
        return self::call('sendToClient', ['client_id' => $client_id, 'message' => $message])['delivered'] > 0;
    }
    public static function sendToUid($uid, $message)
    {
        $key = is_array($uid) ? 'uids' : 'uid';
        return self::call('sendToUid', [$key => is_array($uid) ? array_values($uid) : $uid, 'message' => $message])['delivered'];
    }
    public static function sendToGroup($group, $message, $exclude_client_id = null)
    {
        $p = [is_array($group) ? 'groups' : 'group' => is_array($group) ? array_values($group) : $group, 'message' => $message];
        if ($exclude_client_id !== null) $p['exclude_client_ids'] = array_values((array)$exclude_client_id);
        return self::call('sendToGroup', $p)['delivered'];
    }

    // ---- one client
    public static function bindUid($client_id, $uid) { return self::call('bindUid', ['client_id' => $client_id, 'uid' => $uid]); }
    public static function unbindUid($client_id, $uid = null) { return self::call('unbindUid', ['client_id' => $client_id]); }
    public static function joinGroup($client_id, $group) { return self::call('joinGroup', ['client_id' => $client_id, 'group' => $group]); }
    public static function leaveGroup($client_id, $group) { return self::call('leaveGroup', ['client_id' => $client_id, 'group' => $group]); }
    public static function ungroup($group) { return self::call('ungroup', ['group' => $group]); }
    public static function closeClient($client_id, $message = null)
    {
        $p = ['client_id' => $client_id];
        if ($message !== null) $p['message'] = $message;
        return self::call('closeClient', $p);
    }
    public static function destoryClient($client_id) { return self::call('destroyClient', ['client_id' => $client_id]); }
    public static function destroyClient($client_id) { return self::call('destroyClient', ['client_id' => $client_id]); }
    public static function setSession($client_id, array $session) { return self::call('setSession', ['client_id' => $client_id, 'session' => (object)$session]); }
    public static function updateSession($client_id, array $session) { return self::call('updateSession', ['client_id' => $client_id, 'session' => (object)$session]); }
    public static function getSession($client_id) { return self::call('getSession', ['client_id' => $client_id]); }

    // ---- queries, in GatewayClient's return shapes ({id: id} maps, 0/1 ints)
    public static function isOnline($client_id) { return (int)self::call('isOnline', ['client_id' => $client_id]); }
    public static function isUidOnline($uid) { return (int)self::call('isUidOnline', ['uid' => $uid]); }
    public static function isUidsOnline(array $uids) { return array_map('intval', self::call('isUidsOnline', ['uids' => array_values($uids)])); }
    public static function getClientIdByUid($uid) { return self::call('getClientIdByUid', ['uid' => $uid]); }
    public static function batchGetClientIdByUid(array $uids) { return self::call('batchGetClientIdByUid', ['uids' => array_values($uids)]); }
    public static function getUidByClientId($client_id) { return self::call('getUidByClientId', ['client_id' => $client_id]); }
    public static function getAllClientIdCount() { return self::call('getAllClientIdCount', []); }
    public static function getAllClientCount() { return self::getAllClientIdCount(); }
    public static function getAllClientIdList() { return self::keyed(self::call('getAllClientIdList', [])); }
    public static function getClientIdCountByGroup($group = '')
    {
        return self::call('getClientIdCountByGroup', $group === '' ? [] : ['group' => $group]);
    }
    public static function getClientCountByGroup($group = '') { return self::getClientIdCountByGroup($group); }
    public static function batchGetClientIdCountByGroup(array $groups) { return self::call('batchGetClientIdCountByGroup', ['groups' => array_values($groups)]); }
    public static function getClientIdListByGroup($group)
    {
        return self::keyed(self::call('getClientIdListByGroup', [is_array($group) ? 'groups' : 'group' => $group]));
    }
    public static function getAllClientSessions($group = '')
    {
        return self::call('getAllClientSessions', $group === '' ? [] : ['group' => $group]);
    }
    public static function getAllClientInfo($group = '') { return self::getAllClientSessions($group); }
    public static function getClientSessionsByGroup($group) { return self::call('getClientSessionsByGroup', ['group' => $group]); }
    public static function getUidListByGroup($group)
    {
        return self::keyed(self::call('getUidListByGroup', [is_array($group) ? 'groups' : 'group' => $group]));
    }
    public static function getUidCountByGroup($group) { return self::call('getUidCountByGroup', ['group' => $group]); }
    public static function getAllUidList() { return self::keyed(self::call('getAllUidList', [])); }
    public static function getAllUidCount() { return self::call('getAllUidCount', []); }
    public static function getAllGroupIdList() { return self::keyed(self::call('getAllGroupIdList', [])); }
    public static function getAllGroupUidList() { return array_map([self::class, 'keyed'], self::call('getAllGroupUidList', [])); }
    public static function getAllGroupUidCount() { return self::call('getAllGroupUidCount', []); }
    public static function getAllGroupClientIdList() { return array_map([self::class, 'keyed'], self::call('getAllGroupClientIdList', [])); }
    public static function getAllGroupClientIdCount() { return self::call('getAllGroupClientIdCount', []); }

    /** Several calls in one request: [['sendToUid', ['uid' => 1, 'message' => 'x']], ...]. */
    public static function batch(array $calls)
    {
        $body = [];
        foreach ($calls as $c) $body[] = ['method' => $c[0], 'params' => (object)$c[1]];
        return self::call('batch', $body);
    }

    /** GatewayClient returns lists as {value: value} maps. */
    private static function keyed(array $list) { return $list ? array_combine($list, $list) : []; }

    private static function call($method, $params)
    {
        // (object): an empty PHP array must travel as {} (a batch is a list and stays one)
        $body = json_encode($method === 'batch' ? $params : (object)$params, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        $headers = ['Content-Type: application/json'];
        if (self::$token !== '') $headers[] = 'Authorization: Bearer ' . self::$token;
        $url = rtrim(self::$apiUrl, '/') . '/api/' . $method;
        if (function_exists('curl_init')) {
            $ch = curl_init($url);
            curl_setopt_array($ch, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_HTTPHEADER => $headers,
                CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT_MS => (int)(self::$timeout * 1000)]);
            $raw = curl_exec($ch);
            $err = $raw === false ? curl_error($ch) : null;
            curl_close($ch);
        } else {
            $ctx = stream_context_create(['http' => ['method' => 'POST', 'header' => implode("\r\n", $headers),
                'content' => $body, 'timeout' => self::$timeout, 'ignore_errors' => true]]);
            $raw = @file_get_contents($url, false, $ctx);
            $err = $raw === false ? (error_get_last()['message'] ?? 'request failed') : null;
        }
        if ($raw === false) {
            throw new GatewayException("gatewayd at " . self::$apiUrl . " did not answer: $err");
        }
        $answer = json_decode($raw, true);
        if (!is_array($answer)) {
            throw new GatewayException("unexpected answer from gatewayd: " . substr($raw, 0, 200));
        }
        if (isset($answer['error'])) {
            throw new GatewayException($method . ': ' . $answer['error']['message']);
        }
        return $answer['result'];
    }
}
