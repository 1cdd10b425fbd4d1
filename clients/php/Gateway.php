<?php
/**
 * gatewayd client for PHP: GatewayWorker's GatewayClient API over gatewayd's HTTP control port.
 *
 * Drop-in for code written against GatewayClient\Gateway (PhalApi, ThinkPHP, Laravel, plain
 * PHP): the same static method names and return shapes. Needs no extension beyond PHP's
 * standard streams; the curl extension is used when it is loaded (Gateway::$transport chooses).
 *
 *   require 'Gateway.php';
 *   \Gatewayd\Gateway::$apiUrl = 'http://127.0.0.1:8283';
 *   \Gatewayd\Gateway::$token  = getenv('GATEWAYD_CONTROL_TOKEN') ?: '';
 *   // https:// with a private CA or a self-signed certificate: trust that CA (or certificate)
 *   // \Gatewayd\Gateway::$caFile = '/etc/gatewayd/ca.pem';
 *   \Gatewayd\Gateway::bindUid($clientId, $uid);
 *   \Gatewayd\Gateway::sendToUid($uid, ['type' => 'PORTAL_BIND']);
 *
 * A pushed message that is not UTF-8 is sent as the bytes it is (a binary frame on WebSocket), as
 * GatewayClient does. Errors (gateway down, bad arguments, other parameters that are not UTF-8, an
 * answer that is not the gateway's, e.g. from a wrong URL or a proxy) throw
 * \Gatewayd\GatewayException with the gateway's message or one naming the problem; never a warning
 * and a null result.
 */

namespace Gatewayd;

class GatewayException extends \RuntimeException
{
    /** @var string|null */
    private $errorCode;
    /** @var int|null */
    private $status;
    /** @var array */
    private $details;

    public function __construct($message, $errorCode = null, $status = null, array $details = [])
    {
        // getCode() is the HTTP status (0 without an answer), as HTTP clients such as Guzzle do
        parent::__construct($message, (int)$status);
        $this->errorCode = $errorCode;
        $this->status = $status;
        $this->details = $details;
    }

    /**
     * The gateway's error code ('invalid_param', 'rate_limited', 'cluster_unavailable', ...), or the
     * client's own: 'unreachable' (no connection could be made: nothing was sent), 'connection_lost'
     * (the connection broke after the request was sent: the call may have been carried out), 'timeout'
     * (no whole answer within Gateway::$timeout: the call may have been carried out), 'not_gatewayd'
     * (an answer that is not the gateway's), 'invalid_param' (refused before sending), 'invalid_config'.
     */
    public function getErrorCode() { return $this->errorCode; }

    /** The HTTP status of the answer, null when there was none. */
    public function getStatus() { return $this->status; }

    /** The error's other fields: 'delivered_local' of a 503 cluster_unavailable push, 'removed_local' of an ungroup. */
    public function getDetails() { return $this->details; }
}

class Gateway
{
    /** @var string control URL of gatewayd */
    public static $apiUrl = 'http://127.0.0.1:8283';
    /** @var string control token ('' when the gateway needs none) */
    public static $token = '';
    /**
     * @var float seconds the whole call may take: connecting, sending and the whole answer, whichever
     * the transport (a gateway that answers byte by byte is not waited for any longer)
     */
    public static $timeout = 5.0;
    /**
     * @var string for an https:// $apiUrl: PEM file of the CA that signed the gateway's certificate,
     * or of the certificate itself if it is self-signed; the only CA trusted then ('': the system's CAs)
     */
    public static $caFile = '';
    /**
     * @var string how calls travel: 'auto' (the curl extension when it is loaded, PHP streams
     * otherwise), 'curl' or 'streams'; both behave the same, only a low-level reason's wording differs
     */
    public static $transport = 'auto';
    /** @var array|null */
    private static $lastAnswer = null;

    // ---- pushes (GatewayClient returns nothing useful; we return how many connections got it)
    // As in GatewayClient, an empty array of client ids sends to nobody, while null, '' or false
    // send to everyone; an empty exclude argument ('' included) excludes nobody.
    // The arguments after GatewayClient's own are gatewayd's: pass them by name on PHP 8
    // (Gateway::sendToUid($uid, $msg, msg_id: 'order-7')). $msg_id makes a retry idempotent: a
    // gateway (each node in cluster mode) delivers a push with a given id once within
    // control.dedup-window.
    public static function sendToAll($message, $client_id_array = null, $exclude_client_id = null, $raw = false, $msg_id = null)
    {
        $p = self::messageParam('sendToAll', $message, $raw);
        if (is_array($client_id_array) || $client_id_array) $p['client_ids'] = array_values((array)$client_id_array);
        return self::delivered('sendToAll', self::pushOptions($p, $exclude_client_id, $msg_id));
    }
    public static function sendToClient($client_id, $message, $raw = false, $msg_id = null)
    {
        $p = ['client_id' => $client_id] + self::messageParam('sendToClient', $message, $raw);
        return self::delivered('sendToClient', self::pushOptions($p, null, $msg_id)) > 0;
    }
    public static function sendToUid($uid, $message, $raw = false, $exclude_client_id = null, $msg_id = null)
    {
        $key = is_array($uid) ? 'uids' : 'uid';
        $p = [$key => is_array($uid) ? array_values($uid) : $uid] + self::messageParam('sendToUid', $message, $raw);
        return self::delivered('sendToUid', self::pushOptions($p, $exclude_client_id, $msg_id));
    }
    public static function sendToGroup($group, $message, $exclude_client_id = null, $raw = false, $msg_id = null)
    {
        $p = self::groupParam($group) + self::messageParam('sendToGroup', $message, $raw);
        return self::delivered('sendToGroup', self::pushOptions($p, $exclude_client_id, $msg_id));
    }

    /**
     * The whole answer of this process's last call, decoded: ['result' => ...], and in cluster mode
     * what the return value leaves out: a push's ['result' => ['delivered' => 3, 'delivered_local' => 1,
     * 'remote_nodes' => 2]] (with 'partial' => true and 'missing_reports' when a node did not report
     * in time), a query's 'partial' => true and 'missing_nodes' when a node did not answer in time.
     * null after a call that failed (the GatewayException has the details) and before any call.
     */
    public static function lastAnswer()
    {
        return self::$lastAnswer;
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
        if ($message !== null) $p += self::messageParam('closeClient', $message, false);
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
    public static function isUidsOnline(array $uids) { return array_map('intval', self::callArray('isUidsOnline', ['uids' => array_values($uids)])); }
    public static function getClientIdByUid($uid) { return self::call('getClientIdByUid', ['uid' => $uid]); }
    /** As in GatewayClient, a uid with no connection is left out (the HTTP API answers it with []). */
    public static function batchGetClientIdByUid(array $uids)
    {
        return array_filter(self::callArray('batchGetClientIdByUid', ['uids' => array_values($uids)]), function ($ids) {
            return $ids !== [];
        });
    }
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
        return self::keyed(self::call('getClientIdListByGroup', self::groupParam($group)));
    }
    public static function getAllClientSessions($group = '')
    {
        return self::call('getAllClientSessions', $group === '' ? [] : ['group' => $group]);
    }
    public static function getAllClientInfo($group = '') { return self::getAllClientSessions($group); }
    public static function getClientSessionsByGroup($group) { return self::call('getClientSessionsByGroup', ['group' => $group]); }
    public static function getClientInfoByGroup($group) { return self::getClientSessionsByGroup($group); }
    public static function getUidListByGroup($group)
    {
        return self::keyed(self::call('getUidListByGroup', self::groupParam($group)));
    }
    public static function getUidCountByGroup($group) { return self::call('getUidCountByGroup', ['group' => $group]); }
    public static function getAllUidList() { return self::keyed(self::call('getAllUidList', [])); }
    public static function getAllUidCount() { return self::call('getAllUidCount', []); }
    public static function getAllGroupIdList() { return self::keyed(self::call('getAllGroupIdList', [])); }
    public static function getAllGroupUidList() { return array_map([self::class, 'keyed'], self::callArray('getAllGroupUidList', [])); }
    public static function getAllGroupUidCount() { return self::call('getAllGroupUidCount', []); }
    public static function getAllGroupClientIdList() { return array_map([self::class, 'keyed'], self::callArray('getAllGroupClientIdList', [])); }
    public static function getAllGroupClientIdCount() { return self::call('getAllGroupClientIdCount', []); }

    /** Several calls in one request: [['sendToUid', ['uid' => 1, 'message' => 'x']], ['getAllUidCount'], ...]. */
    public static function batch(array $calls)
    {
        $body = [];
        foreach ($calls as $i => $c) {
            // a third element would be dropped like an extra argument, a missing one would be a warning
            if (!is_array($c) || !in_array(array_keys($c), [[0], [0, 1]], true) || !is_string($c[0])
                || (isset($c[1]) && !is_array($c[1]) && !is_object($c[1]))) {
                throw new GatewayException("batch: call [$i] must be [method, params] or [method], got "
                    . self::excerpt(json_encode($c, JSON_PARTIAL_OUTPUT_ON_ERROR)), 'invalid_param');
            }
            $body[] = ['method' => $c[0], 'params' => (object)(isset($c[1]) ? $c[1] : [])];
        }
        return self::call('batch', $body);
    }

    /**
     * GatewayClient delivers a string's bytes as they are, which is how binary protocols reach
     * frame:// and text:// devices. JSON carries only UTF-8, so other bytes travel base64-encoded
     * and arrive unchanged (on WebSocket as a binary frame, where GatewayWorker's text frame of
     * invalid UTF-8 would make the browser drop the connection).
     *
     * GatewayWorker's $raw = true means "this is already a whole frame of the client's protocol".
     * gatewayd frames every message itself, so such a message would arrive wrapped twice: refused,
     * not silently dropped as an extra argument would be.
     */
    private static function messageParam($method, $message, $raw)
    {
        if ($raw) {
            throw new GatewayException("$method: \$raw = true is not supported: gatewayd frames every message for the"
                . " client's protocol itself, so pass the payload, not a frame, and leave \$raw out", 'invalid_param');
        }
        return is_string($message) && !preg_match('//u', $message)
            ? ['message_base64' => base64_encode($message)] : ['message' => $message];
    }

    /**
     * One group or several. Several may come as GatewayClient's own {group: group} maps (what
     * getAllGroupIdList returns): only the values are groups, so the keys are dropped.
     */
    private static function groupParam($group)
    {
        return is_array($group) ? ['groups' => array_values($group)] : ['group' => $group];
    }

    /**
     * The end of an error for a call that may have reached the gateway: what makes a retry safe, where
     * something does (a push's msg_id), and nothing for the rest, whose retry the caller must judge.
     */
    private static function mayHaveBeenCarriedOut($method, $params)
    {
        $pushes = ['sendToAll', 'sendToClient', 'sendToUid', 'sendToGroup'];
        if (in_array($method, $pushes, true)) {
            return 'the call may still have been carried out (retry it with the same msg_id)';
        }
        if ($method === 'batch' && is_array($params)) {
            foreach ($params as $call) {
                if (is_array($call) && isset($call['method']) && in_array($call['method'], $pushes, true)) {
                    return 'the call may still have been carried out (retry its pushes with the same msg_id)';
                }
            }
        }
        return 'the call may still have been carried out';
    }

    /** exclude_client_ids and msg_id of a push, when given. */
    private static function pushOptions(array $p, $exclude_client_id, $msg_id)
    {
        if ($exclude_client_id) $p['exclude_client_ids'] = array_values((array)$exclude_client_id);
        if ($msg_id !== null) $p['msg_id'] = $msg_id;
        return $p;
    }

    /** GatewayClient returns lists as {value: value} maps. */
    private static function keyed($list)
    {
        if (!is_array($list) || count(array_filter($list, function ($v) { return is_string($v) || is_int($v); })) !== count($list)) {
            throw new GatewayException('gatewayd at ' . self::$apiUrl . ' answered ' . self::excerpt(json_encode($list))
                . " where a list of ids belongs; is this the gateway's control URL?", 'not_gatewayd', 200);
        }
        return $list ? array_combine($list, $list) : [];
    }

    /** The "delivered" count of a push. */
    private static function delivered($method, array $params)
    {
        $result = self::call($method, $params);
        if (!is_array($result) || !isset($result['delivered']) || !is_int($result['delivered'])) {
            throw new GatewayException(self::url($method) . ' answered a result without a "delivered" count ('
                . self::excerpt(json_encode($result)) . "); is this the gateway's control URL?", 'not_gatewayd', 200);
        }
        return $result['delivered'];
    }

    /** A result that must be a list or a map. */
    private static function callArray($method, array $params)
    {
        $result = self::call($method, $params);
        if (!is_array($result)) {
            throw new GatewayException(self::url($method) . ' answered ' . self::excerpt(json_encode($result))
                . " where a list or map belongs; is this the gateway's control URL?", 'not_gatewayd', 200);
        }
        return $result;
    }

    private static function url($method)
    {
        return rtrim(self::$apiUrl, '/') . '/api/' . $method;
    }

    /** The start of an answer body, on one line, for error messages. */
    private static function excerpt($raw)
    {
        if (!is_string($raw)) return 'something';
        $text = trim(preg_replace('/[\s\x00-\x1f\x7f]+/', ' ', substr($raw, 0, 320)));
        if ($text === '') return 'an empty body';
        if (!preg_match('//u', $text)) $text = preg_replace('/[\x80-\xff]/', '?', $text); // not UTF-8: show ASCII
        preg_match('/^.{0,80}/us', $text, $m);
        return '"' . $m[0] . (strlen($m[0]) < strlen($text) || strlen($raw) > 320 ? '...' : '') . '"';
    }

    /** Why the parameters cannot be JSON, naming the string that is not UTF-8 when that is the reason. */
    private static function encodingProblem($method, $params)
    {
        $why = json_last_error_msg();
        if (json_last_error() !== JSON_ERROR_UTF8) {
            return "$method: the parameters cannot be sent as JSON ($why)";
        }
        $where = self::notUtf8($params, '', 0);
        // the push methods send such a message as bytes by themselves; in a batch it is the caller's to do
        $binary = $where !== null && preg_match('/(^|\.)message$/', $where) ? ', or send binary data base64-encoded as message_base64' : '';
        return "$method: " . ($where === null ? 'a parameter' : $where) . " is not valid UTF-8 ($why); convert it"
            . " with mb_convert_encoding() or iconv()$binary";
    }

    /** Where the first string that is not UTF-8 sits: "message", "session.name", "[1].params.uid", "a key in session". */
    private static function notUtf8($value, $path, $depth)
    {
        if (is_string($value)) return preg_match('//u', $value) ? null : ($path === '' ? 'a parameter' : $path);
        if ((!is_array($value) && !is_object($value)) || $depth > 512) return null;
        foreach ((array)$value as $k => $v) {
            if (is_string($k) && !preg_match('//u', $k)) return $path === '' ? 'a parameter name' : "a key in $path";
            $found = self::notUtf8($v, is_int($k) ? "{$path}[$k]" : ($path === '' ? $k : "$path.$k"), $depth + 1);
            if ($found !== null) return $found;
        }
        return null;
    }

    /** 'curl' or 'streams': what Gateway::$transport asks for, or for 'auto' what this PHP has. */
    private static function transport()
    {
        $curl = function_exists('curl_init');
        if (self::$transport === 'auto') return $curl ? 'curl' : 'streams';
        if (self::$transport === 'streams') return 'streams';
        if (self::$transport === 'curl') {
            if ($curl) return 'curl';
            throw new GatewayException("Gateway::\$transport is 'curl' but this PHP has no curl extension; install it"
                . " (apt-get install php-curl) or set Gateway::\$transport to 'auto' or 'streams'", 'invalid_config');
        }
        throw new GatewayException('Gateway::$transport must be \'auto\', \'curl\' or \'streams\', got '
            . var_export(self::$transport, true), 'invalid_config');
    }

    /**
     * PHP hands a method arguments beyond its parameters without a word, and GatewayClient drops them
     * too. None of them means anything here (every method takes all of GatewayClient's arguments and
     * more), so one is a caller's intent that would be lost, like joinGroup($id, 'a', 'b') joining
     * only 'a' or getAllClientIdCount($group) counting everyone: refused before anything is sent.
     */
    private static function refuseExtraArguments()
    {
        // the outermost frame of this class is the method the application called (an alias calls another)
        foreach (array_reverse(debug_backtrace()) as $frame) {
            if (!isset($frame['class']) || $frame['class'] !== self::class) continue;
            $params = (new \ReflectionMethod(self::class, $frame['function']))->getParameters();
            $given = isset($frame['args']) ? count($frame['args']) : 0;
            if ($given > count($params)) {
                $names = implode(', ', array_map(function ($p) { return '$' . $p->getName(); }, $params));
                throw new GatewayException("{$frame['function']}: takes " . count($params) . ' argument'
                    . (count($params) === 1 ? '' : 's') . ($names === '' ? '' : " ($names)") . ", got $given;"
                    . ' the others would be ignored, so nothing was sent', 'invalid_param');
            }
            return;
        }
    }

    /** One control API call: its "result", or a GatewayException for anything else. */
    private static function call($method, $params)
    {
        self::$lastAnswer = null;
        self::refuseExtraArguments();
        $url = self::url($method);
        if (!preg_match('#^https?://#i', $url)) {
            throw new GatewayException("'" . self::$apiUrl . "' is not a control URL; it looks like http://127.0.0.1:8283",
                'invalid_config');
        }
        if (!is_int(self::$timeout) && !is_float(self::$timeout) || !is_finite(self::$timeout) || self::$timeout <= 0) {
            throw new GatewayException('Gateway::$timeout must be a number of seconds above 0, got '
                . var_export(self::$timeout, true), 'invalid_config');
        }
        // a line break would end the header and start another one of the caller's making
        if (!is_string(self::$token) || !preg_match('/^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/D', self::$token)) {
            // never quote the token: error messages end up in logs
            throw new GatewayException('Gateway::$token must be a string of printable ASCII, without spaces or a newline'
                . ' at either end (from the file or variable it was read from?)', 'invalid_config');
        }
        $transport = self::transport();
        // (object): an empty PHP array must travel as {} (a batch is a list and stays one)
        $body = json_encode($method === 'batch' ? $params : (object)$params, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        if ($body === false) {
            throw new GatewayException(self::encodingProblem($method, $params), 'invalid_param');
        }
        if (self::$caFile !== '' && (!is_string(self::$caFile) || !is_file(self::$caFile) || !is_readable(self::$caFile))) {
            throw new GatewayException('Gateway::$caFile ' . var_export(self::$caFile, true) . ' is not a readable file;'
                . " set it to the PEM file of the CA that signed the gateway's certificate (or the certificate itself)",
                'invalid_config');
        }
        $headers = ['Content-Type: application/json'];
        if (self::$token !== '') $headers[] = 'Authorization: Bearer ' . self::$token;
        $r = $transport === 'curl' ? self::viaCurl($url, $headers, $body) : self::viaStreams($url, $headers, $body);
        $raw = $r['raw'];
        $status = $r['status'];
        $location = $r['location'];
        $timedOut = $r['timedOut'];
        $certProblem = $r['certProblem'];
        $err = $r['error'];
        if ($r['notHttp'] !== null) {
            throw new GatewayException("$url answered something that is not HTTP ("
                . ($transport === 'curl' ? $r['notHttp'] : self::excerpt($r['notHttp'])) . "); is this the gateway's"
                . ' control URL?', 'not_gatewayd');
        }
        // 'unreachable' promises that nothing was sent, so a caller may retry anything; once the request
        // may have gone out, the gateway may have carried it out, and only a push with a msg_id is safe to repeat
        if ($timedOut && !$r['sent']) {
            throw new GatewayException("gatewayd at " . self::$apiUrl . " did not answer: no connection within "
                . self::$timeout . " s, so nothing was sent", 'unreachable');
        }
        if ($timedOut) {
            throw new GatewayException("gatewayd at " . self::$apiUrl . " did not answer within " . self::$timeout
                . " s; " . self::mayHaveBeenCarriedOut($method, $params), 'timeout');
        }
        if ($raw === false && $certProblem !== null) {
            throw new GatewayException("gatewayd at " . self::$apiUrl . " did not answer: " . self::certificateHint($certProblem),
                'unreachable');
        }
        if ($raw === false && !$r['sent']) {
            throw new GatewayException("gatewayd at " . self::$apiUrl . " did not answer: $err", 'unreachable');
        }
        if ($raw === false) {
            throw new GatewayException("the connection to gatewayd at " . self::$apiUrl . " broke before a whole"
                . " answer came ($err); " . self::mayHaveBeenCarriedOut($method, $params), 'connection_lost');
        }
        if ($status >= 300 && $status < 400) {
            throw new GatewayException("$url answered $status, a redirect to "
                . ($location !== '' ? $location : '(no Location)') . "; is this the gateway's control URL?",
                'not_gatewayd', $status);
        }
        $answer = json_decode($raw, true);
        if (json_last_error() !== JSON_ERROR_NONE) {
            throw new GatewayException("$url answered $status but not with JSON (" . self::excerpt($raw)
                . "); " . self::notGatewaydHint($status), 'not_gatewayd', $status);
        }
        if (isset($answer['error']['message']) && is_string($answer['error']['message'])) {
            $error = $answer['error'];
            $code = isset($error['code']) && is_string($error['code']) ? $error['code'] : null;
            unset($error['code'], $error['message']);
            throw new GatewayException($method . ': ' . $answer['error']['message'], $code, $status, $error);
        }
        if (!is_array($answer) || !array_key_exists('result', $answer)) {
            throw new GatewayException("$url answered $status with JSON that is no gatewayd answer ({\"result\": ...} or"
                . " {\"error\": {...}}) (" . self::excerpt($raw) . "); " . self::notGatewaydHint($status),
                'not_gatewayd', $status);
        }
        self::$lastAnswer = $answer;
        return $answer['result'];
    }

    /**
     * Gateway::$timeout, at least a millisecond: curl counts in whole milliseconds and takes 0 as
     * "wait forever", and the streams' poll() rounds below a millisecond down to "do not wait", which
     * looked like a request that failed before it was sent.
     */
    private static function waitSeconds()
    {
        return max(0.001, (float)self::$timeout);
    }

    /**
     * The CA directory that goes with $caFile, so that it is the only CA trusted: OpenSSL looks a CA up
     * in a directory by name (<hash>.0), and a path that is no directory holds none. Without it curl
     * trusts its compiled-in directory (/etc/ssl/certs on Debian) besides $caFile, so a certificate
     * from any public CA would pass where the application pinned its own. ('' is refused by OpenSSL;
     * null reaches curl as ''.)
     */
    const NO_CA_DIRECTORY = '/dev/null';

    /**
     * Whether curl verifies with OpenSSL (or a fork of it), where NO_CA_DIRECTORY means "no CA". Other
     * TLS libraries (GnuTLS, mbedTLS, ...) refuse a CA directory that cannot be read, and every call
     * would fail: there curl keeps its own directory.
     */
    private static function curlOnOpenSsl()
    {
        static $openSsl = null;
        if ($openSsl === null) {
            $v = curl_version();
            $openSsl = (bool)preg_match('/^(OpenSSL|LibreSSL|BoringSSL|quictls|AWS-LC)\//i', (string)$v['ssl_version']);
        }
        return $openSsl;
    }

    /**
     * The request over the curl extension. It must behave as the streams transport does, so that
     * installing php-curl changes nothing an application sees but the wording of a low-level reason.
     */
    private static function viaCurl($url, array $headers, $body)
    {
        $ch = curl_init($url);
        if ($ch === false) {
            return ['raw' => false, 'status' => 0, 'location' => '', 'sent' => false, 'timedOut' => false,
                'certProblem' => null, 'notHttp' => null, 'error' => 'curl_init failed'];
        }
        curl_setopt_array($ch, [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body, CURLOPT_RETURNTRANSFER => true,
            // curl waits for "100 Continue" before a body over 1 KiB: a round trip streams do not make
            CURLOPT_HTTPHEADER => array_merge($headers, ['Expect:']),
            // '' ignores http_proxy/https_proxy/all_proxy, as streams do: the control call and its
            // token go to $apiUrl and nowhere else
            CURLOPT_PROXY => '',
            // the whole call, connecting and the whole answer included, as on the streams transport
            CURLOPT_TIMEOUT_MS => (int)ceil(self::waitSeconds() * 1000),
            // no SIGALRM around name lookups: it counts whole seconds and is unsafe in threaded PHP (ZTS, Swoole)
            CURLOPT_NOSIGNAL => true]);
        if (self::$caFile !== '') {
            curl_setopt($ch, CURLOPT_CAINFO, self::$caFile);
            if (self::curlOnOpenSsl()) curl_setopt($ch, CURLOPT_CAPATH, self::NO_CA_DIRECTORY);
        }
        $raw = curl_exec($ch);
        $errno = curl_errno($ch);
        $err = $raw === false ? curl_error($ch) : null;
        // curl 7.x says only "Couldn't connect to server"; the system's reason tells refused from unroutable
        $os = (int)curl_getinfo($ch, CURLINFO_OS_ERRNO);
        if ($err !== null && $os !== 0 && function_exists('posix_strerror')) {
            $reason = posix_strerror($os);
            if ($reason !== '' && stripos($err, $reason) === false) $err .= " ($reason)";
        }
        // curl sends the request as soon as the connection (and for https:// its TLS handshake) is up
        $sent = curl_getinfo($ch, CURLINFO_CONNECT_TIME) > 0
            && (stripos($url, 'https:') !== 0 || curl_getinfo($ch, CURLINFO_APPCONNECT_TIME) > 0);
        $result = ['raw' => $raw, 'error' => $err, 'sent' => $sent,
            'timedOut' => $raw === false && $errno === 28, // CURLE_OPERATION_TIMEDOUT
            // 1: an HTTP/0.9 answer, i.e. no status line; 8: a malformed one
            'notHttp' => $raw === false && in_array($errno, [1, 8], true) ? $err : null,
            // 60: the peer's certificate (chain or host name) failed verification; 77: the CA file did not load
            'certProblem' => $raw === false && in_array($errno, [60, 77], true) ? $err : null,
            'status' => (int)curl_getinfo($ch, CURLINFO_HTTP_CODE),
            'location' => (string)curl_getinfo($ch, CURLINFO_REDIRECT_URL)];
        if (PHP_VERSION_ID < 80000) curl_close($ch); // a no-op since PHP 8.0, deprecated in 8.5
        return $result;
    }

    /**
     * The request over a plain socket (stream_socket_client), which needs no extension. PHP's
     * http:// wrapper was used before, but its timeout bounds each read, so an answer that trickles
     * in could take any time, and it cannot tell a connection that failed from one that broke after
     * the request went out.
     */
    private static function viaStreams($url, array $headers, $body)
    {
        $deadline = microtime(true) + self::waitSeconds();
        $failed = function ($sent, $error, $timedOut = false, $certProblem = null) {
            return ['raw' => false, 'status' => 0, 'location' => '', 'sent' => $sent, 'timedOut' => $timedOut,
                'certProblem' => $certProblem, 'notHttp' => null, 'error' => $error];
        };
        $parts = parse_url($url);
        if (!is_array($parts) || !isset($parts['host']) || $parts['host'] === '') {
            return $failed(false, 'the URL names no host');
        }
        $https = strtolower($parts['scheme']) === 'https';
        $host = $parts['host']; // an IPv6 address keeps its brackets, as the socket address and Host header want it
        $port = isset($parts['port']) ? $parts['port'] : ($https ? 443 : 80);
        $path = (isset($parts['path']) ? $parts['path'] : '/') . (isset($parts['query']) ? '?' . $parts['query'] : '');
        $ssl = ['peer_name' => trim($host, '[]')];
        if (self::$caFile !== '') {
            // else php.ini's openssl.capath, when set, is trusted besides $caFile
            $ssl['cafile'] = self::$caFile;
            $ssl['capath'] = self::NO_CA_DIRECTORY;
        }
        $ctx = stream_context_create(['ssl' => $ssl]);
        // A refused connection or a failed TLS handshake comes as warnings. The application's error
        // handler would get them despite @ (and frameworks turn warnings into exceptions of their
        // own), so they are caught here and become the GatewayException's text. A TLS failure comes
        // as several: the certificate's reason first, "unable to connect" last.
        $warning = null;
        $certProblem = null;
        set_error_handler(function ($no, $str) use (&$warning, &$certProblem) {
            $warning = preg_replace('/^\w+\([^)]*\): /', '', $str);
            if ($certProblem === null && preg_match('/certificate|cafile/i', $warning)) {
                // "SSL operation failed with code 1. OpenSSL Error messages:\nerror:0A000086:SSL routines::certificate verify failed"
                $certProblem = trim(preg_replace('/^.*(?:::|\n)/s', '', $warning));
            }
            return true;
        });
        try {
            $fp = stream_socket_client(($https ? 'ssl://' : 'tcp://') . "$host:$port", $errno, $errstr,
                max(0.001, $deadline - microtime(true)), STREAM_CLIENT_CONNECT, $ctx);
            if ($fp === false) {
                // PHP's own connect timer fails with ETIMEDOUT; it counts whole milliseconds, so it
                // may end a little before $deadline and the clock alone would call it a plain failure
                $timedOut = $certProblem === null
                    // ETIMEDOUT: 110 on Linux, 60 on macOS and the BSDs, 10060 on Windows
                    && (in_array($errno, [110, 60, 10060], true) || microtime(true) >= $deadline);
                return $failed(false, $errstr !== '' ? $errstr : ($warning !== null ? $warning : 'connection failed'),
                    $timedOut, $certProblem);
            }
            try {
                return self::exchange($fp, "POST $path HTTP/1.1\r\nHost: $host" . (isset($parts['port']) ? ":$port" : '')
                    . "\r\n" . implode("\r\n", $headers) . "\r\nContent-Length: " . strlen($body)
                    . "\r\nConnection: close\r\n\r\n" . $body, $deadline, $failed);
            } finally {
                fclose($fp);
            }
        } finally {
            restore_error_handler();
        }
    }

    /** Sends the request on a connected socket and reads the answer, all before $deadline. */
    private static function exchange($fp, $request, $deadline, callable $failed)
    {
        $waitFor = function () use ($fp, $deadline) {
            $left = $deadline - microtime(true);
            if ($left <= 0) return false;
            stream_set_timeout($fp, (int)$left, (int)(($left - (int)$left) * 1000000));
            return true;
        };
        for ($done = 0; $done < strlen($request); $done += $n) {
            if (!$waitFor()) return $failed(true, 'timed out', true);
            $n = fwrite($fp, substr($request, $done));
            if ($n === false || $n === 0) {
                if (!empty(stream_get_meta_data($fp)['timed_out'])) return $failed(true, 'timed out', true);
                return $failed(true, 'the connection broke while the request was being sent');
            }
        }
        $in = '';
        $answer = null;
        while (true) {
            if (!$waitFor()) return $failed(true, 'timed out', true);
            $chunk = fread($fp, 65536);
            if ($chunk === false || $chunk === '') {
                if (!empty(stream_get_meta_data($fp)['timed_out'])) return $failed(true, 'timed out', true);
                if ($chunk === '' && !feof($fp)) continue;
                // the other side closed: what came is the answer only if it is whole
                $answer = $in === '' ? null : self::parseAnswer($in, true);
                if ($answer === null) {
                    return $failed(true, $in === '' ? 'the connection was closed without an answer'
                        : 'the connection was closed before the answer was complete');
                }
                return $answer;
            }
            $in .= $chunk;
            $answer = self::parseAnswer($in, false);
            if ($answer !== null) return $answer;
        }
    }

    /**
     * The answer in $in once it is whole ($closed: nothing more will come), null before.
     * Something that is not HTTP is an answer too: the caller says what it is.
     */
    private static function parseAnswer($in, $closed)
    {
        $end = strpos($in, "\r\n\r\n");
        if (!preg_match('#^HTTP/\d(?:\.\d)? (\d{3})#', $in, $m)) {
            // not the start of a status line: not HTTP, unless what came so far may still become one
            if (preg_match('#^H(T(T(P(/(\d(\.(\d( \d{0,2})?)?)?)?)?)?)?)?$#', $in)) return null;
            return ['raw' => false, 'status' => 0, 'location' => '', 'sent' => true, 'timedOut' => false,
                'certProblem' => null, 'notHttp' => $in, 'error' => 'not HTTP'];
        }
        if ($end === false) return null;
        $status = (int)$m[1];
        $head = substr($in, 0, $end);
        $body = substr($in, $end + 4);
        $location = preg_match('/\r\nLocation:[ \t]*(\S+)/i', $head, $l) ? $l[1] : '';
        if (preg_match('/\r\nTransfer-Encoding:[ \t]*[^\r]*chunked/i', $head)) {
            $body = self::dechunk($body);
            if ($body === null) return null;
        } elseif (preg_match('/\r\nContent-Length:[ \t]*(\d+)/i', $head, $cl)) {
            if (strlen($body) < (int)$cl[1]) return null;
            $body = substr($body, 0, (int)$cl[1]);
        } elseif (!$closed) {
            return null; // the body ends where the connection does
        }
        return ['raw' => $body, 'status' => $status, 'location' => $location, 'sent' => true, 'timedOut' => false,
            'certProblem' => null, 'notHttp' => null, 'error' => null];
    }

    /** A chunked body decoded, null while its last chunk has not come. */
    private static function dechunk($in)
    {
        $out = '';
        for ($at = 0; ($eol = strpos($in, "\r\n", $at)) !== false;) {
            $size = hexdec(trim(preg_replace('/;.*/', '', substr($in, $at, $eol - $at))));
            if ($size === 0) return $out;
            if (strlen($in) < $eol + 2 + $size + 2) return null;
            $out .= substr($in, $eol + 2, $size);
            $at = $eol + 2 + $size + 2;
        }
        return null;
    }

    /** A failed TLS handshake in words: what the certificate problem is, and what to set. */
    private static function certificateHint($reason)
    {
        if (preg_match('/did not match|no alternative certificate subject name|does not match/i', $reason)) {
            return "its TLS certificate does not name the host of Gateway::\$apiUrl ($reason); use a host name the"
                . " certificate names, or a certificate (tls.cert-file) that names this host";
        }
        if (preg_match('/cafile|CA cert|error setting certificate/i', $reason)) {
            return "Gateway::\$caFile " . var_export(self::$caFile, true) . " could not be loaded ($reason);"
                . " it must be a PEM file of certificates";
        }
        if (self::$caFile !== '') {
            return "its TLS certificate is not trusted ($reason): Gateway::\$caFile " . var_export(self::$caFile, true)
                . " does not vouch for it; set Gateway::\$caFile to the CA that signed the gateway's certificate"
                . " (or to that certificate, the gateway's tls.cert-file, if it is self-signed)";
        }
        return "its TLS certificate is not trusted ($reason); for a private CA or a self-signed certificate set"
            . " Gateway::\$caFile to the PEM file of that CA (or to the certificate itself, the gateway's tls.cert-file)";
    }

    /** What an answer that is not the gateway's suggests: a proxy's error page or the wrong URL. */
    private static function notGatewaydHint($status)
    {
        return $status >= 500 ? 'a proxy in front of the gateway that cannot reach it, or not the control URL?'
            : "is this the gateway's control URL?";
    }
}
