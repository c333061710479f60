/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
"use strict";

var $protobuf = require("protobufjs/minimal");

// Common aliases
var $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
var $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
var $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

$root.coprocess = (function() {

    /**
     * Namespace coprocess.
     * @exports coprocess
     * @namespace
     */
    var coprocess = {};

    /**
     * HookType enum.
     * @name coprocess.HookType
     * @enum {number}
     * @property {number} Unknown=0 Unknown value
     * @property {number} Pre=1 Pre value
     * @property {number} Post=2 Post value
     * @property {number} PostKeyAuth=3 PostKeyAuth value
     * @property {number} CustomKeyCheck=4 CustomKeyCheck value
     * @property {number} Response=5 Response value
     */
    coprocess.HookType = (function() {
        var valuesById = $Object.create(null), values = $Object.create(valuesById);
        values[valuesById[0] = "Unknown"] = 0;
        values[valuesById[1] = "Pre"] = 1;
        values[valuesById[2] = "Post"] = 2;
        values[valuesById[3] = "PostKeyAuth"] = 3;
        values[valuesById[4] = "CustomKeyCheck"] = 4;
        values[valuesById[5] = "Response"] = 5;
        return values;
    })();

    coprocess.StringSlice = (function() {

        /**
         * Properties of a StringSlice.
         * @typedef {Object} coprocess.StringSlice.$Properties
         * @property {Array.<string>|null} [items] StringSlice items
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a StringSlice.
         * @memberof coprocess
         * @interface IStringSlice
         * @augments coprocess.StringSlice.$Properties
         * @deprecated Use coprocess.StringSlice.$Properties instead.
         */

        /**
         * Shape of a StringSlice.
         * @typedef {coprocess.StringSlice.$Properties} coprocess.StringSlice.$Shape
         */

        /**
         * Constructs a new StringSlice.
         * @memberof coprocess
         * @classdesc Represents a StringSlice.
         * @constructor
         * @param {coprocess.StringSlice.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var StringSlice = function (properties) {
            this.items = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * StringSlice items.
         * @member {Array.<string>} items
         * @memberof coprocess.StringSlice
         * @instance
         */
        StringSlice.prototype.items = $util.emptyArray;

        /**
         * Creates a new StringSlice instance using the specified properties.
         * @function create
         * @memberof coprocess.StringSlice
         * @static
         * @param {coprocess.StringSlice.$Properties=} [properties] Properties to set
         * @returns {coprocess.StringSlice} StringSlice instance
         * @type {{
         *   (properties: coprocess.StringSlice.$Shape): coprocess.StringSlice & coprocess.StringSlice.$Shape;
         *   (properties?: coprocess.StringSlice.$Properties): coprocess.StringSlice;
         * }}
         */
        StringSlice.create = function(properties) {
            return new StringSlice(properties);
        };

        /**
         * Encodes the specified StringSlice message. Does not implicitly {@link coprocess.StringSlice.verify|verify} messages.
         * @function encode
         * @memberof coprocess.StringSlice
         * @static
         * @param {coprocess.StringSlice.$Properties} message StringSlice message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        StringSlice.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.items != null && message.items.length)
                for (var i = 0; i < message.items.length; ++i)
                    writer.uint32(/* id 1, wireType 2 =*/10).string(message.items[i]);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a StringSlice message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.StringSlice
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.StringSlice & coprocess.StringSlice.$Shape} StringSlice
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        StringSlice.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.StringSlice();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if (!(message.items && message.items.length))
                            message.items = [];
                        message.items.push(reader.stringVerify());
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return StringSlice;
    })();

    coprocess.MiniRequestObject = (function() {

        /**
         * Properties of a MiniRequestObject.
         * @typedef {Object} coprocess.MiniRequestObject.$Properties
         * @property {Object.<string,string>|null} [headers] MiniRequestObject headers
         * @property {Object.<string,string>|null} [set_headers] MiniRequestObject set_headers
         * @property {Array.<string>|null} [delete_headers] MiniRequestObject delete_headers
         * @property {string|null} [body] MiniRequestObject body
         * @property {string|null} [url] MiniRequestObject url
         * @property {Object.<string,string>|null} [params] MiniRequestObject params
         * @property {Object.<string,string>|null} [add_params] MiniRequestObject add_params
         * @property {Object.<string,string>|null} [extended_params] MiniRequestObject extended_params
         * @property {Array.<string>|null} [delete_params] MiniRequestObject delete_params
         * @property {coprocess.ReturnOverrides.$Properties|null} [return_overrides] MiniRequestObject return_overrides
         * @property {string|null} [method] MiniRequestObject method
         * @property {string|null} [request_uri] MiniRequestObject request_uri
         * @property {string|null} [scheme] MiniRequestObject scheme
         * @property {Uint8Array|null} [raw_body] MiniRequestObject raw_body
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a MiniRequestObject.
         * @memberof coprocess
         * @interface IMiniRequestObject
         * @augments coprocess.MiniRequestObject.$Properties
         * @deprecated Use coprocess.MiniRequestObject.$Properties instead.
         */

        /**
         * Shape of a MiniRequestObject.
         * @typedef {coprocess.MiniRequestObject.$Properties} coprocess.MiniRequestObject.$Shape
         */

        /**
         * Constructs a new MiniRequestObject.
         * @memberof coprocess
         * @classdesc Represents a MiniRequestObject.
         * @constructor
         * @param {coprocess.MiniRequestObject.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var MiniRequestObject = function (properties) {
            this.headers = {};
            this.set_headers = {};
            this.delete_headers = [];
            this.params = {};
            this.add_params = {};
            this.extended_params = {};
            this.delete_params = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * MiniRequestObject headers.
         * @member {Object.<string,string>} headers
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.headers = $util.emptyObject;

        /**
         * MiniRequestObject set_headers.
         * @member {Object.<string,string>} set_headers
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.set_headers = $util.emptyObject;

        /**
         * MiniRequestObject delete_headers.
         * @member {Array.<string>} delete_headers
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.delete_headers = $util.emptyArray;

        /**
         * MiniRequestObject body.
         * @member {string} body
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.body = "";

        /**
         * MiniRequestObject url.
         * @member {string} url
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.url = "";

        /**
         * MiniRequestObject params.
         * @member {Object.<string,string>} params
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.params = $util.emptyObject;

        /**
         * MiniRequestObject add_params.
         * @member {Object.<string,string>} add_params
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.add_params = $util.emptyObject;

        /**
         * MiniRequestObject extended_params.
         * @member {Object.<string,string>} extended_params
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.extended_params = $util.emptyObject;

        /**
         * MiniRequestObject delete_params.
         * @member {Array.<string>} delete_params
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.delete_params = $util.emptyArray;

        /**
         * MiniRequestObject return_overrides.
         * @member {coprocess.ReturnOverrides.$Properties|null|undefined} return_overrides
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.return_overrides = null;

        /**
         * MiniRequestObject method.
         * @member {string} method
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.method = "";

        /**
         * MiniRequestObject request_uri.
         * @member {string} request_uri
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.request_uri = "";

        /**
         * MiniRequestObject scheme.
         * @member {string} scheme
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.scheme = "";

        /**
         * MiniRequestObject raw_body.
         * @member {Uint8Array} raw_body
         * @memberof coprocess.MiniRequestObject
         * @instance
         */
        MiniRequestObject.prototype.raw_body = $util.newBuffer([]);

        /**
         * Creates a new MiniRequestObject instance using the specified properties.
         * @function create
         * @memberof coprocess.MiniRequestObject
         * @static
         * @param {coprocess.MiniRequestObject.$Properties=} [properties] Properties to set
         * @returns {coprocess.MiniRequestObject} MiniRequestObject instance
         * @type {{
         *   (properties: coprocess.MiniRequestObject.$Shape): coprocess.MiniRequestObject & coprocess.MiniRequestObject.$Shape;
         *   (properties?: coprocess.MiniRequestObject.$Properties): coprocess.MiniRequestObject;
         * }}
         */
        MiniRequestObject.create = function(properties) {
            return new MiniRequestObject(properties);
        };

        /**
         * Encodes the specified MiniRequestObject message. Does not implicitly {@link coprocess.MiniRequestObject.verify|verify} messages.
         * @function encode
         * @memberof coprocess.MiniRequestObject
         * @static
         * @param {coprocess.MiniRequestObject.$Properties} message MiniRequestObject message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        MiniRequestObject.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.headers != null && $Object.hasOwnProperty.call(message, "headers"))
                for (var keys = $Object.keys(message.headers), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 1, wireType 2 =*/10).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.headers[keys[i]]).ldelim();
            if (message.set_headers != null && $Object.hasOwnProperty.call(message, "set_headers"))
                for (var keys = $Object.keys(message.set_headers), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 2, wireType 2 =*/18).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.set_headers[keys[i]]).ldelim();
            if (message.delete_headers != null && message.delete_headers.length)
                for (var i = 0; i < message.delete_headers.length; ++i)
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.delete_headers[i]);
            if (message.body != null && $Object.hasOwnProperty.call(message, "body") && message.body !== "")
                writer.uint32(/* id 4, wireType 2 =*/34).string(message.body);
            if (message.url != null && $Object.hasOwnProperty.call(message, "url") && message.url !== "")
                writer.uint32(/* id 5, wireType 2 =*/42).string(message.url);
            if (message.params != null && $Object.hasOwnProperty.call(message, "params"))
                for (var keys = $Object.keys(message.params), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 6, wireType 2 =*/50).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.params[keys[i]]).ldelim();
            if (message.add_params != null && $Object.hasOwnProperty.call(message, "add_params"))
                for (var keys = $Object.keys(message.add_params), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 7, wireType 2 =*/58).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.add_params[keys[i]]).ldelim();
            if (message.extended_params != null && $Object.hasOwnProperty.call(message, "extended_params"))
                for (var keys = $Object.keys(message.extended_params), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 8, wireType 2 =*/66).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.extended_params[keys[i]]).ldelim();
            if (message.delete_params != null && message.delete_params.length)
                for (var i = 0; i < message.delete_params.length; ++i)
                    writer.uint32(/* id 9, wireType 2 =*/74).string(message.delete_params[i]);
            if (message.return_overrides != null && $Object.hasOwnProperty.call(message, "return_overrides"))
                $root.coprocess.ReturnOverrides.encode(message.return_overrides, writer.uint32(/* id 10, wireType 2 =*/82).fork(), _depth + 1).ldelim();
            if (message.method != null && $Object.hasOwnProperty.call(message, "method") && message.method !== "")
                writer.uint32(/* id 11, wireType 2 =*/90).string(message.method);
            if (message.request_uri != null && $Object.hasOwnProperty.call(message, "request_uri") && message.request_uri !== "")
                writer.uint32(/* id 12, wireType 2 =*/98).string(message.request_uri);
            if (message.scheme != null && $Object.hasOwnProperty.call(message, "scheme") && message.scheme !== "")
                writer.uint32(/* id 13, wireType 2 =*/106).string(message.scheme);
            if (message.raw_body != null && $Object.hasOwnProperty.call(message, "raw_body") && message.raw_body.length)
                writer.uint32(/* id 14, wireType 2 =*/114).bytes(message.raw_body);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a MiniRequestObject message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.MiniRequestObject
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.MiniRequestObject & coprocess.MiniRequestObject.$Shape} MiniRequestObject
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        MiniRequestObject.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, key, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.MiniRequestObject();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if (message.headers === $util.emptyObject)
                            message.headers = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.headers, key);
                        message.headers[key] = value;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if (message.set_headers === $util.emptyObject)
                            message.set_headers = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.set_headers, key);
                        message.set_headers[key] = value;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        if (!(message.delete_headers && message.delete_headers.length))
                            message.delete_headers = [];
                        message.delete_headers.push(reader.stringVerify());
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.body = value;
                        else
                            delete message.body;
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.url = value;
                        else
                            delete message.url;
                        continue;
                    }
                case 6: {
                        if (wireType !== 2)
                            break;
                        if (message.params === $util.emptyObject)
                            message.params = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.params, key);
                        message.params[key] = value;
                        continue;
                    }
                case 7: {
                        if (wireType !== 2)
                            break;
                        if (message.add_params === $util.emptyObject)
                            message.add_params = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.add_params, key);
                        message.add_params[key] = value;
                        continue;
                    }
                case 8: {
                        if (wireType !== 2)
                            break;
                        if (message.extended_params === $util.emptyObject)
                            message.extended_params = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.extended_params, key);
                        message.extended_params[key] = value;
                        continue;
                    }
                case 9: {
                        if (wireType !== 2)
                            break;
                        if (!(message.delete_params && message.delete_params.length))
                            message.delete_params = [];
                        message.delete_params.push(reader.stringVerify());
                        continue;
                    }
                case 10: {
                        if (wireType !== 2)
                            break;
                        message.return_overrides = $root.coprocess.ReturnOverrides.decode(reader, reader.size(), $undefined, _depth + 1, message.return_overrides);
                        continue;
                    }
                case 11: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.method = value;
                        else
                            delete message.method;
                        continue;
                    }
                case 12: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.request_uri = value;
                        else
                            delete message.request_uri;
                        continue;
                    }
                case 13: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.scheme = value;
                        else
                            delete message.scheme;
                        continue;
                    }
                case 14: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.raw_body = value;
                        else
                            delete message.raw_body;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return MiniRequestObject;
    })();

    coprocess.ReturnOverrides = (function() {

        /**
         * Properties of a ReturnOverrides.
         * @typedef {Object} coprocess.ReturnOverrides.$Properties
         * @property {number|null} [response_code] ReturnOverrides response_code
         * @property {string|null} [response_error] ReturnOverrides response_error
         * @property {Object.<string,string>|null} [headers] ReturnOverrides headers
         * @property {boolean|null} [override_error] ReturnOverrides override_error
         * @property {string|null} [response_body] ReturnOverrides response_body
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a ReturnOverrides.
         * @memberof coprocess
         * @interface IReturnOverrides
         * @augments coprocess.ReturnOverrides.$Properties
         * @deprecated Use coprocess.ReturnOverrides.$Properties instead.
         */

        /**
         * Shape of a ReturnOverrides.
         * @typedef {coprocess.ReturnOverrides.$Properties} coprocess.ReturnOverrides.$Shape
         */

        /**
         * Constructs a new ReturnOverrides.
         * @memberof coprocess
         * @classdesc Represents a ReturnOverrides.
         * @constructor
         * @param {coprocess.ReturnOverrides.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var ReturnOverrides = function (properties) {
            this.headers = {};
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * ReturnOverrides response_code.
         * @member {number} response_code
         * @memberof coprocess.ReturnOverrides
         * @instance
         */
        ReturnOverrides.prototype.response_code = 0;

        /**
         * ReturnOverrides response_error.
         * @member {string} response_error
         * @memberof coprocess.ReturnOverrides
         * @instance
         */
        ReturnOverrides.prototype.response_error = "";

        /**
         * ReturnOverrides headers.
         * @member {Object.<string,string>} headers
         * @memberof coprocess.ReturnOverrides
         * @instance
         */
        ReturnOverrides.prototype.headers = $util.emptyObject;

        /**
         * ReturnOverrides override_error.
         * @member {boolean} override_error
         * @memberof coprocess.ReturnOverrides
         * @instance
         */
        ReturnOverrides.prototype.override_error = false;

        /**
         * ReturnOverrides response_body.
         * @member {string} response_body
         * @memberof coprocess.ReturnOverrides
         * @instance
         */
        ReturnOverrides.prototype.response_body = "";

        /**
         * Creates a new ReturnOverrides instance using the specified properties.
         * @function create
         * @memberof coprocess.ReturnOverrides
         * @static
         * @param {coprocess.ReturnOverrides.$Properties=} [properties] Properties to set
         * @returns {coprocess.ReturnOverrides} ReturnOverrides instance
         * @type {{
         *   (properties: coprocess.ReturnOverrides.$Shape): coprocess.ReturnOverrides & coprocess.ReturnOverrides.$Shape;
         *   (properties?: coprocess.ReturnOverrides.$Properties): coprocess.ReturnOverrides;
         * }}
         */
        ReturnOverrides.create = function(properties) {
            return new ReturnOverrides(properties);
        };

        /**
         * Encodes the specified ReturnOverrides message. Does not implicitly {@link coprocess.ReturnOverrides.verify|verify} messages.
         * @function encode
         * @memberof coprocess.ReturnOverrides
         * @static
         * @param {coprocess.ReturnOverrides.$Properties} message ReturnOverrides message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        ReturnOverrides.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.response_code != null && $Object.hasOwnProperty.call(message, "response_code") && message.response_code !== 0)
                writer.uint32(/* id 1, wireType 0 =*/8).int32(message.response_code);
            if (message.response_error != null && $Object.hasOwnProperty.call(message, "response_error") && message.response_error !== "")
                writer.uint32(/* id 2, wireType 2 =*/18).string(message.response_error);
            if (message.headers != null && $Object.hasOwnProperty.call(message, "headers"))
                for (var keys = $Object.keys(message.headers), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 3, wireType 2 =*/26).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.headers[keys[i]]).ldelim();
            if (message.override_error != null && $Object.hasOwnProperty.call(message, "override_error") && message.override_error !== false)
                writer.uint32(/* id 4, wireType 0 =*/32).bool(message.override_error);
            if (message.response_body != null && $Object.hasOwnProperty.call(message, "response_body") && message.response_body !== "")
                writer.uint32(/* id 5, wireType 2 =*/42).string(message.response_body);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a ReturnOverrides message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.ReturnOverrides
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.ReturnOverrides & coprocess.ReturnOverrides.$Shape} ReturnOverrides
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        ReturnOverrides.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, key, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.ReturnOverrides();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.int32())
                            message.response_code = value;
                        else
                            delete message.response_code;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.response_error = value;
                        else
                            delete message.response_error;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        if (message.headers === $util.emptyObject)
                            message.headers = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.headers, key);
                        message.headers[key] = value;
                        continue;
                    }
                case 4: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.bool())
                            message.override_error = value;
                        else
                            delete message.override_error;
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.response_body = value;
                        else
                            delete message.response_body;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return ReturnOverrides;
    })();

    coprocess.Object = (function() {

        /**
         * Properties of an Object.
         * @typedef {Object} coprocess.Object.$Properties
         * @property {coprocess.HookType|null} [hook_type] Object hook_type
         * @property {string|null} [hook_name] Object hook_name
         * @property {coprocess.MiniRequestObject.$Properties|null} [request] Object request
         * @property {coprocess.SessionState.$Properties|null} [session] Object session
         * @property {Object.<string,string>|null} [metadata] Object metadata
         * @property {Object.<string,string>|null} [spec] Object spec
         * @property {coprocess.ResponseObject.$Properties|null} [response] Object response
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an Object.
         * @memberof coprocess
         * @interface IObject
         * @augments coprocess.Object.$Properties
         * @deprecated Use coprocess.Object.$Properties instead.
         */

        /**
         * Shape of an Object.
         * @typedef {coprocess.Object.$Properties} coprocess.Object.$Shape
         */

        /**
         * Constructs a new Object.
         * @memberof coprocess
         * @classdesc Represents an Object.
         * @constructor
         * @param {coprocess.Object.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var Object = function (properties) {
            this.metadata = {};
            this.spec = {};
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Object hook_type.
         * @member {coprocess.HookType} hook_type
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.hook_type = 0;

        /**
         * Object hook_name.
         * @member {string} hook_name
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.hook_name = "";

        /**
         * Object request.
         * @member {coprocess.MiniRequestObject.$Properties|null|undefined} request
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.request = null;

        /**
         * Object session.
         * @member {coprocess.SessionState.$Properties|null|undefined} session
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.session = null;

        /**
         * Object metadata.
         * @member {Object.<string,string>} metadata
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.metadata = $util.emptyObject;

        /**
         * Object spec.
         * @member {Object.<string,string>} spec
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.spec = $util.emptyObject;

        /**
         * Object response.
         * @member {coprocess.ResponseObject.$Properties|null|undefined} response
         * @memberof coprocess.Object
         * @instance
         */
        Object.prototype.response = null;

        /**
         * Creates a new Object instance using the specified properties.
         * @function create
         * @memberof coprocess.Object
         * @static
         * @param {coprocess.Object.$Properties=} [properties] Properties to set
         * @returns {coprocess.Object} Object instance
         * @type {{
         *   (properties: coprocess.Object.$Shape): coprocess.Object & coprocess.Object.$Shape;
         *   (properties?: coprocess.Object.$Properties): coprocess.Object;
         * }}
         */
        Object.create = function(properties) {
            return new Object(properties);
        };

        /**
         * Encodes the specified Object message. Does not implicitly {@link coprocess.Object.verify|verify} messages.
         * @function encode
         * @memberof coprocess.Object
         * @static
         * @param {coprocess.Object.$Properties} message Object message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Object.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.hook_type != null && $Object.hasOwnProperty.call(message, "hook_type") && message.hook_type !== 0)
                writer.uint32(/* id 1, wireType 0 =*/8).int32(message.hook_type);
            if (message.hook_name != null && $Object.hasOwnProperty.call(message, "hook_name") && message.hook_name !== "")
                writer.uint32(/* id 2, wireType 2 =*/18).string(message.hook_name);
            if (message.request != null && $Object.hasOwnProperty.call(message, "request"))
                $root.coprocess.MiniRequestObject.encode(message.request, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
            if (message.session != null && $Object.hasOwnProperty.call(message, "session"))
                $root.coprocess.SessionState.encode(message.session, writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
            if (message.metadata != null && $Object.hasOwnProperty.call(message, "metadata"))
                for (var keys = $Object.keys(message.metadata), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 5, wireType 2 =*/42).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.metadata[keys[i]]).ldelim();
            if (message.spec != null && $Object.hasOwnProperty.call(message, "spec"))
                for (var keys = $Object.keys(message.spec), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 6, wireType 2 =*/50).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.spec[keys[i]]).ldelim();
            if (message.response != null && $Object.hasOwnProperty.call(message, "response"))
                $root.coprocess.ResponseObject.encode(message.response, writer.uint32(/* id 7, wireType 2 =*/58).fork(), _depth + 1).ldelim();
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an Object message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.Object
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.Object & coprocess.Object.$Shape} Object
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Object.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, key, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.Object();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.int32())
                            message.hook_type = value;
                        else
                            delete message.hook_type;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.hook_name = value;
                        else
                            delete message.hook_name;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        message.request = $root.coprocess.MiniRequestObject.decode(reader, reader.size(), $undefined, _depth + 1, message.request);
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        message.session = $root.coprocess.SessionState.decode(reader, reader.size(), $undefined, _depth + 1, message.session);
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if (message.metadata === $util.emptyObject)
                            message.metadata = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.metadata, key);
                        message.metadata[key] = value;
                        continue;
                    }
                case 6: {
                        if (wireType !== 2)
                            break;
                        if (message.spec === $util.emptyObject)
                            message.spec = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.spec, key);
                        message.spec[key] = value;
                        continue;
                    }
                case 7: {
                        if (wireType !== 2)
                            break;
                        message.response = $root.coprocess.ResponseObject.decode(reader, reader.size(), $undefined, _depth + 1, message.response);
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Object;
    })();

    coprocess.Event = (function() {

        /**
         * Properties of an Event.
         * @typedef {Object} coprocess.Event.$Properties
         * @property {string|null} [payload] Event payload
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an Event.
         * @memberof coprocess
         * @interface IEvent
         * @augments coprocess.Event.$Properties
         * @deprecated Use coprocess.Event.$Properties instead.
         */

        /**
         * Shape of an Event.
         * @typedef {coprocess.Event.$Properties} coprocess.Event.$Shape
         */

        /**
         * Constructs a new Event.
         * @memberof coprocess
         * @classdesc Represents an Event.
         * @constructor
         * @param {coprocess.Event.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var Event = function (properties) {
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Event payload.
         * @member {string} payload
         * @memberof coprocess.Event
         * @instance
         */
        Event.prototype.payload = "";

        /**
         * Creates a new Event instance using the specified properties.
         * @function create
         * @memberof coprocess.Event
         * @static
         * @param {coprocess.Event.$Properties=} [properties] Properties to set
         * @returns {coprocess.Event} Event instance
         * @type {{
         *   (properties: coprocess.Event.$Shape): coprocess.Event & coprocess.Event.$Shape;
         *   (properties?: coprocess.Event.$Properties): coprocess.Event;
         * }}
         */
        Event.create = function(properties) {
            return new Event(properties);
        };

        /**
         * Encodes the specified Event message. Does not implicitly {@link coprocess.Event.verify|verify} messages.
         * @function encode
         * @memberof coprocess.Event
         * @static
         * @param {coprocess.Event.$Properties} message Event message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Event.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.payload != null && $Object.hasOwnProperty.call(message, "payload") && message.payload !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.payload);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an Event message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.Event
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.Event & coprocess.Event.$Shape} Event
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Event.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.Event();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.payload = value;
                        else
                            delete message.payload;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Event;
    })();

    coprocess.EventReply = (function() {

        /**
         * Properties of an EventReply.
         * @typedef {Object} coprocess.EventReply.$Properties
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an EventReply.
         * @memberof coprocess
         * @interface IEventReply
         * @augments coprocess.EventReply.$Properties
         * @deprecated Use coprocess.EventReply.$Properties instead.
         */

        /**
         * Shape of an EventReply.
         * @typedef {coprocess.EventReply.$Properties} coprocess.EventReply.$Shape
         */

        /**
         * Constructs a new EventReply.
         * @memberof coprocess
         * @classdesc Represents an EventReply.
         * @constructor
         * @param {coprocess.EventReply.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var EventReply = function (properties) {
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Creates a new EventReply instance using the specified properties.
         * @function create
         * @memberof coprocess.EventReply
         * @static
         * @param {coprocess.EventReply.$Properties=} [properties] Properties to set
         * @returns {coprocess.EventReply} EventReply instance
         * @type {{
         *   (properties: coprocess.EventReply.$Shape): coprocess.EventReply & coprocess.EventReply.$Shape;
         *   (properties?: coprocess.EventReply.$Properties): coprocess.EventReply;
         * }}
         */
        EventReply.create = function(properties) {
            return new EventReply(properties);
        };

        /**
         * Encodes the specified EventReply message. Does not implicitly {@link coprocess.EventReply.verify|verify} messages.
         * @function encode
         * @memberof coprocess.EventReply
         * @static
         * @param {coprocess.EventReply.$Properties} message EventReply message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        EventReply.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an EventReply message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.EventReply
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.EventReply & coprocess.EventReply.$Shape} EventReply
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        EventReply.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.EventReply();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                reader.skipType(tag & 7, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return EventReply;
    })();

    coprocess.Dispatcher = (function() {

        /**
         * Constructs a new Dispatcher service.
         * @memberof coprocess
         * @classdesc Represents a Dispatcher
         * @extends $protobuf.rpc.Service
         * @constructor
         * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
         * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
         * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
         */
        var Dispatcher = function(rpcImpl, requestDelimited, responseDelimited) {
            $protobuf.rpc.Service.call(this, rpcImpl, requestDelimited, responseDelimited);
        };

        $Object.defineProperty(Dispatcher.prototype = $Object.create($protobuf.rpc.Service.prototype), "constructor", { value: Dispatcher, writable: true, enumerable: false, configurable: true });

        /**
         * Creates new Dispatcher service using the specified rpc implementation.
         * @function create
         * @memberof coprocess.Dispatcher
         * @static
         * @param {$protobuf.RPCImpl} rpcImpl RPC implementation
         * @param {boolean} [requestDelimited=false] Whether requests are length-delimited
         * @param {boolean} [responseDelimited=false] Whether responses are length-delimited
         * @returns {Dispatcher} RPC service. Useful where requests and/or responses are streamed.
         */
        Dispatcher.create = function(rpcImpl, requestDelimited, responseDelimited) {
            return new this(rpcImpl, requestDelimited, responseDelimited);
        };

        /**
         * Callback as used by {@link coprocess.Dispatcher#dispatch}.
         * @memberof coprocess.Dispatcher
         * @typedef DispatchCallback
         * @type {function}
         * @param {Error|null} error Error, if any
         * @param {coprocess.Object} [response] Object
         */

        /**
         * Calls Dispatch.
         * @memberof coprocess.Dispatcher
         * @typedef Dispatch
         * @type {{
         *   (request: coprocess.IObject, callback: coprocess.Dispatcher.DispatchCallback): void;
         *   (request: coprocess.IObject): Promise<coprocess.Object>;
         *   readonly name: "Dispatch";
         *   readonly path: "/coprocess.Dispatcher/Dispatch";
         *   readonly requestType: "Object";
         *   readonly responseType: "Object";
         *   readonly requestStream: undefined;
         *   readonly responseStream: undefined;
         * }}
         */

        /**
         * Calls Dispatch.
         * @name coprocess.Dispatcher#dispatch
         * @type {coprocess.Dispatcher.Dispatch}
         */
        $Object.defineProperties(Dispatcher.prototype.dispatch = function(request, callback) {
            return $protobuf.rpc.Service.prototype.rpcCall.call(this, Dispatcher.prototype.dispatch, $root.coprocess.Object, $root.coprocess.Object, request, callback);
        }, {
            name: { value: "Dispatch" },
            path: { value: "/coprocess.Dispatcher/Dispatch" },
            requestType: { value: "Object" },
            responseType: { value: "Object" },
            requestStream: { value: $undefined },
            responseStream: { value: $undefined }
        });

        /**
         * Callback as used by {@link coprocess.Dispatcher#dispatchEvent}.
         * @memberof coprocess.Dispatcher
         * @typedef DispatchEventCallback
         * @type {function}
         * @param {Error|null} error Error, if any
         * @param {coprocess.EventReply} [response] EventReply
         */

        /**
         * Calls DispatchEvent.
         * @memberof coprocess.Dispatcher
         * @typedef DispatchEvent
         * @type {{
         *   (request: coprocess.IEvent, callback: coprocess.Dispatcher.DispatchEventCallback): void;
         *   (request: coprocess.IEvent): Promise<coprocess.EventReply>;
         *   readonly name: "DispatchEvent";
         *   readonly path: "/coprocess.Dispatcher/DispatchEvent";
         *   readonly requestType: "Event";
         *   readonly responseType: "EventReply";
         *   readonly requestStream: undefined;
         *   readonly responseStream: undefined;
         * }}
         */

        /**
         * Calls DispatchEvent.
         * @name coprocess.Dispatcher#dispatchEvent
         * @type {coprocess.Dispatcher.DispatchEvent}
         */
        $Object.defineProperties(Dispatcher.prototype.dispatchEvent = function(request, callback) {
            return $protobuf.rpc.Service.prototype.rpcCall.call(this, Dispatcher.prototype.dispatchEvent, $root.coprocess.Event, $root.coprocess.EventReply, request, callback);
        }, {
            name: { value: "DispatchEvent" },
            path: { value: "/coprocess.Dispatcher/DispatchEvent" },
            requestType: { value: "Event" },
            responseType: { value: "EventReply" },
            requestStream: { value: $undefined },
            responseStream: { value: $undefined }
        });

        return Dispatcher;
    })();

    coprocess.ResponseObject = (function() {

        /**
         * Properties of a ResponseObject.
         * @typedef {Object} coprocess.ResponseObject.$Properties
         * @property {number|null} [status_code] ResponseObject status_code
         * @property {Uint8Array|null} [raw_body] ResponseObject raw_body
         * @property {string|null} [body] ResponseObject body
         * @property {Object.<string,string>|null} [headers] ResponseObject headers
         * @property {Array.<coprocess.Header.$Properties>|null} [multivalue_headers] ResponseObject multivalue_headers
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a ResponseObject.
         * @memberof coprocess
         * @interface IResponseObject
         * @augments coprocess.ResponseObject.$Properties
         * @deprecated Use coprocess.ResponseObject.$Properties instead.
         */

        /**
         * Shape of a ResponseObject.
         * @typedef {coprocess.ResponseObject.$Properties} coprocess.ResponseObject.$Shape
         */

        /**
         * Constructs a new ResponseObject.
         * @memberof coprocess
         * @classdesc Represents a ResponseObject.
         * @constructor
         * @param {coprocess.ResponseObject.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var ResponseObject = function (properties) {
            this.headers = {};
            this.multivalue_headers = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * ResponseObject status_code.
         * @member {number} status_code
         * @memberof coprocess.ResponseObject
         * @instance
         */
        ResponseObject.prototype.status_code = 0;

        /**
         * ResponseObject raw_body.
         * @member {Uint8Array} raw_body
         * @memberof coprocess.ResponseObject
         * @instance
         */
        ResponseObject.prototype.raw_body = $util.newBuffer([]);

        /**
         * ResponseObject body.
         * @member {string} body
         * @memberof coprocess.ResponseObject
         * @instance
         */
        ResponseObject.prototype.body = "";

        /**
         * ResponseObject headers.
         * @member {Object.<string,string>} headers
         * @memberof coprocess.ResponseObject
         * @instance
         */
        ResponseObject.prototype.headers = $util.emptyObject;

        /**
         * ResponseObject multivalue_headers.
         * @member {Array.<coprocess.Header.$Properties>} multivalue_headers
         * @memberof coprocess.ResponseObject
         * @instance
         */
        ResponseObject.prototype.multivalue_headers = $util.emptyArray;

        /**
         * Creates a new ResponseObject instance using the specified properties.
         * @function create
         * @memberof coprocess.ResponseObject
         * @static
         * @param {coprocess.ResponseObject.$Properties=} [properties] Properties to set
         * @returns {coprocess.ResponseObject} ResponseObject instance
         * @type {{
         *   (properties: coprocess.ResponseObject.$Shape): coprocess.ResponseObject & coprocess.ResponseObject.$Shape;
         *   (properties?: coprocess.ResponseObject.$Properties): coprocess.ResponseObject;
         * }}
         */
        ResponseObject.create = function(properties) {
            return new ResponseObject(properties);
        };

        /**
         * Encodes the specified ResponseObject message. Does not implicitly {@link coprocess.ResponseObject.verify|verify} messages.
         * @function encode
         * @memberof coprocess.ResponseObject
         * @static
         * @param {coprocess.ResponseObject.$Properties} message ResponseObject message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        ResponseObject.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.status_code != null && $Object.hasOwnProperty.call(message, "status_code") && message.status_code !== 0)
                writer.uint32(/* id 1, wireType 0 =*/8).int32(message.status_code);
            if (message.raw_body != null && $Object.hasOwnProperty.call(message, "raw_body") && message.raw_body.length)
                writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.raw_body);
            if (message.body != null && $Object.hasOwnProperty.call(message, "body") && message.body !== "")
                writer.uint32(/* id 3, wireType 2 =*/26).string(message.body);
            if (message.headers != null && $Object.hasOwnProperty.call(message, "headers"))
                for (var keys = $Object.keys(message.headers), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 4, wireType 2 =*/34).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.headers[keys[i]]).ldelim();
            if (message.multivalue_headers != null && message.multivalue_headers.length)
                for (var i = 0; i < message.multivalue_headers.length; ++i)
                    $root.coprocess.Header.encode(message.multivalue_headers[i], writer.uint32(/* id 5, wireType 2 =*/42).fork(), _depth + 1).ldelim();
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a ResponseObject message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.ResponseObject
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.ResponseObject & coprocess.ResponseObject.$Shape} ResponseObject
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        ResponseObject.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, key, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.ResponseObject();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.int32())
                            message.status_code = value;
                        else
                            delete message.status_code;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.raw_body = value;
                        else
                            delete message.raw_body;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.body = value;
                        else
                            delete message.body;
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        if (message.headers === $util.emptyObject)
                            message.headers = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.headers, key);
                        message.headers[key] = value;
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if (!(message.multivalue_headers && message.multivalue_headers.length))
                            message.multivalue_headers = [];
                        message.multivalue_headers.push($root.coprocess.Header.decode(reader, reader.size(), $undefined, _depth + 1));
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return ResponseObject;
    })();

    coprocess.Header = (function() {

        /**
         * Properties of a Header.
         * @typedef {Object} coprocess.Header.$Properties
         * @property {string|null} [key] Header key
         * @property {Array.<string>|null} [values] Header values
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Header.
         * @memberof coprocess
         * @interface IHeader
         * @augments coprocess.Header.$Properties
         * @deprecated Use coprocess.Header.$Properties instead.
         */

        /**
         * Shape of a Header.
         * @typedef {coprocess.Header.$Properties} coprocess.Header.$Shape
         */

        /**
         * Constructs a new Header.
         * @memberof coprocess
         * @classdesc Represents a Header.
         * @constructor
         * @param {coprocess.Header.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var Header = function (properties) {
            this.values = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Header key.
         * @member {string} key
         * @memberof coprocess.Header
         * @instance
         */
        Header.prototype.key = "";

        /**
         * Header values.
         * @member {Array.<string>} values
         * @memberof coprocess.Header
         * @instance
         */
        Header.prototype.values = $util.emptyArray;

        /**
         * Creates a new Header instance using the specified properties.
         * @function create
         * @memberof coprocess.Header
         * @static
         * @param {coprocess.Header.$Properties=} [properties] Properties to set
         * @returns {coprocess.Header} Header instance
         * @type {{
         *   (properties: coprocess.Header.$Shape): coprocess.Header & coprocess.Header.$Shape;
         *   (properties?: coprocess.Header.$Properties): coprocess.Header;
         * }}
         */
        Header.create = function(properties) {
            return new Header(properties);
        };

        /**
         * Encodes the specified Header message. Does not implicitly {@link coprocess.Header.verify|verify} messages.
         * @function encode
         * @memberof coprocess.Header
         * @static
         * @param {coprocess.Header.$Properties} message Header message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Header.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.key != null && $Object.hasOwnProperty.call(message, "key") && message.key !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.key);
            if (message.values != null && message.values.length)
                for (var i = 0; i < message.values.length; ++i)
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.values[i]);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Header message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.Header
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.Header & coprocess.Header.$Shape} Header
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Header.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.Header();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.key = value;
                        else
                            delete message.key;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if (!(message.values && message.values.length))
                            message.values = [];
                        message.values.push(reader.stringVerify());
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Header;
    })();

    coprocess.AccessSpec = (function() {

        /**
         * Properties of an AccessSpec.
         * @typedef {Object} coprocess.AccessSpec.$Properties
         * @property {string|null} [url] AccessSpec url
         * @property {Array.<string>|null} [methods] AccessSpec methods
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an AccessSpec.
         * @memberof coprocess
         * @interface IAccessSpec
         * @augments coprocess.AccessSpec.$Properties
         * @deprecated Use coprocess.AccessSpec.$Properties instead.
         */

        /**
         * Shape of an AccessSpec.
         * @typedef {coprocess.AccessSpec.$Properties} coprocess.AccessSpec.$Shape
         */

        /**
         * Constructs a new AccessSpec.
         * @memberof coprocess
         * @classdesc Represents an AccessSpec.
         * @constructor
         * @param {coprocess.AccessSpec.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var AccessSpec = function (properties) {
            this.methods = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * AccessSpec url.
         * @member {string} url
         * @memberof coprocess.AccessSpec
         * @instance
         */
        AccessSpec.prototype.url = "";

        /**
         * AccessSpec methods.
         * @member {Array.<string>} methods
         * @memberof coprocess.AccessSpec
         * @instance
         */
        AccessSpec.prototype.methods = $util.emptyArray;

        /**
         * Creates a new AccessSpec instance using the specified properties.
         * @function create
         * @memberof coprocess.AccessSpec
         * @static
         * @param {coprocess.AccessSpec.$Properties=} [properties] Properties to set
         * @returns {coprocess.AccessSpec} AccessSpec instance
         * @type {{
         *   (properties: coprocess.AccessSpec.$Shape): coprocess.AccessSpec & coprocess.AccessSpec.$Shape;
         *   (properties?: coprocess.AccessSpec.$Properties): coprocess.AccessSpec;
         * }}
         */
        AccessSpec.create = function(properties) {
            return new AccessSpec(properties);
        };

        /**
         * Encodes the specified AccessSpec message. Does not implicitly {@link coprocess.AccessSpec.verify|verify} messages.
         * @function encode
         * @memberof coprocess.AccessSpec
         * @static
         * @param {coprocess.AccessSpec.$Properties} message AccessSpec message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        AccessSpec.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.url != null && $Object.hasOwnProperty.call(message, "url") && message.url !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.url);
            if (message.methods != null && message.methods.length)
                for (var i = 0; i < message.methods.length; ++i)
                    writer.uint32(/* id 2, wireType 2 =*/18).string(message.methods[i]);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an AccessSpec message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.AccessSpec
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.AccessSpec & coprocess.AccessSpec.$Shape} AccessSpec
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        AccessSpec.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.AccessSpec();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.url = value;
                        else
                            delete message.url;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if (!(message.methods && message.methods.length))
                            message.methods = [];
                        message.methods.push(reader.stringVerify());
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return AccessSpec;
    })();

    coprocess.AccessDefinition = (function() {

        /**
         * Properties of an AccessDefinition.
         * @typedef {Object} coprocess.AccessDefinition.$Properties
         * @property {string|null} [api_name] AccessDefinition api_name
         * @property {string|null} [api_id] AccessDefinition api_id
         * @property {Array.<string>|null} [versions] AccessDefinition versions
         * @property {Array.<coprocess.AccessSpec.$Properties>|null} [allowed_urls] AccessDefinition allowed_urls
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of an AccessDefinition.
         * @memberof coprocess
         * @interface IAccessDefinition
         * @augments coprocess.AccessDefinition.$Properties
         * @deprecated Use coprocess.AccessDefinition.$Properties instead.
         */

        /**
         * Shape of an AccessDefinition.
         * @typedef {coprocess.AccessDefinition.$Properties} coprocess.AccessDefinition.$Shape
         */

        /**
         * Constructs a new AccessDefinition.
         * @memberof coprocess
         * @classdesc Represents an AccessDefinition.
         * @constructor
         * @param {coprocess.AccessDefinition.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var AccessDefinition = function (properties) {
            this.versions = [];
            this.allowed_urls = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * AccessDefinition api_name.
         * @member {string} api_name
         * @memberof coprocess.AccessDefinition
         * @instance
         */
        AccessDefinition.prototype.api_name = "";

        /**
         * AccessDefinition api_id.
         * @member {string} api_id
         * @memberof coprocess.AccessDefinition
         * @instance
         */
        AccessDefinition.prototype.api_id = "";

        /**
         * AccessDefinition versions.
         * @member {Array.<string>} versions
         * @memberof coprocess.AccessDefinition
         * @instance
         */
        AccessDefinition.prototype.versions = $util.emptyArray;

        /**
         * AccessDefinition allowed_urls.
         * @member {Array.<coprocess.AccessSpec.$Properties>} allowed_urls
         * @memberof coprocess.AccessDefinition
         * @instance
         */
        AccessDefinition.prototype.allowed_urls = $util.emptyArray;

        /**
         * Creates a new AccessDefinition instance using the specified properties.
         * @function create
         * @memberof coprocess.AccessDefinition
         * @static
         * @param {coprocess.AccessDefinition.$Properties=} [properties] Properties to set
         * @returns {coprocess.AccessDefinition} AccessDefinition instance
         * @type {{
         *   (properties: coprocess.AccessDefinition.$Shape): coprocess.AccessDefinition & coprocess.AccessDefinition.$Shape;
         *   (properties?: coprocess.AccessDefinition.$Properties): coprocess.AccessDefinition;
         * }}
         */
        AccessDefinition.create = function(properties) {
            return new AccessDefinition(properties);
        };

        /**
         * Encodes the specified AccessDefinition message. Does not implicitly {@link coprocess.AccessDefinition.verify|verify} messages.
         * @function encode
         * @memberof coprocess.AccessDefinition
         * @static
         * @param {coprocess.AccessDefinition.$Properties} message AccessDefinition message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        AccessDefinition.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.api_name != null && $Object.hasOwnProperty.call(message, "api_name") && message.api_name !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.api_name);
            if (message.api_id != null && $Object.hasOwnProperty.call(message, "api_id") && message.api_id !== "")
                writer.uint32(/* id 2, wireType 2 =*/18).string(message.api_id);
            if (message.versions != null && message.versions.length)
                for (var i = 0; i < message.versions.length; ++i)
                    writer.uint32(/* id 3, wireType 2 =*/26).string(message.versions[i]);
            if (message.allowed_urls != null && message.allowed_urls.length)
                for (var i = 0; i < message.allowed_urls.length; ++i)
                    $root.coprocess.AccessSpec.encode(message.allowed_urls[i], writer.uint32(/* id 4, wireType 2 =*/34).fork(), _depth + 1).ldelim();
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes an AccessDefinition message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.AccessDefinition
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.AccessDefinition & coprocess.AccessDefinition.$Shape} AccessDefinition
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        AccessDefinition.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.AccessDefinition();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.api_name = value;
                        else
                            delete message.api_name;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.api_id = value;
                        else
                            delete message.api_id;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        if (!(message.versions && message.versions.length))
                            message.versions = [];
                        message.versions.push(reader.stringVerify());
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        if (!(message.allowed_urls && message.allowed_urls.length))
                            message.allowed_urls = [];
                        message.allowed_urls.push($root.coprocess.AccessSpec.decode(reader, reader.size(), $undefined, _depth + 1));
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return AccessDefinition;
    })();

    coprocess.BasicAuthData = (function() {

        /**
         * Properties of a BasicAuthData.
         * @typedef {Object} coprocess.BasicAuthData.$Properties
         * @property {string|null} [password] BasicAuthData password
         * @property {string|null} [hash] BasicAuthData hash
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a BasicAuthData.
         * @memberof coprocess
         * @interface IBasicAuthData
         * @augments coprocess.BasicAuthData.$Properties
         * @deprecated Use coprocess.BasicAuthData.$Properties instead.
         */

        /**
         * Shape of a BasicAuthData.
         * @typedef {coprocess.BasicAuthData.$Properties} coprocess.BasicAuthData.$Shape
         */

        /**
         * Constructs a new BasicAuthData.
         * @memberof coprocess
         * @classdesc Represents a BasicAuthData.
         * @constructor
         * @param {coprocess.BasicAuthData.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var BasicAuthData = function (properties) {
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * BasicAuthData password.
         * @member {string} password
         * @memberof coprocess.BasicAuthData
         * @instance
         */
        BasicAuthData.prototype.password = "";

        /**
         * BasicAuthData hash.
         * @member {string} hash
         * @memberof coprocess.BasicAuthData
         * @instance
         */
        BasicAuthData.prototype.hash = "";

        /**
         * Creates a new BasicAuthData instance using the specified properties.
         * @function create
         * @memberof coprocess.BasicAuthData
         * @static
         * @param {coprocess.BasicAuthData.$Properties=} [properties] Properties to set
         * @returns {coprocess.BasicAuthData} BasicAuthData instance
         * @type {{
         *   (properties: coprocess.BasicAuthData.$Shape): coprocess.BasicAuthData & coprocess.BasicAuthData.$Shape;
         *   (properties?: coprocess.BasicAuthData.$Properties): coprocess.BasicAuthData;
         * }}
         */
        BasicAuthData.create = function(properties) {
            return new BasicAuthData(properties);
        };

        /**
         * Encodes the specified BasicAuthData message. Does not implicitly {@link coprocess.BasicAuthData.verify|verify} messages.
         * @function encode
         * @memberof coprocess.BasicAuthData
         * @static
         * @param {coprocess.BasicAuthData.$Properties} message BasicAuthData message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        BasicAuthData.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.password != null && $Object.hasOwnProperty.call(message, "password") && message.password !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.password);
            if (message.hash != null && $Object.hasOwnProperty.call(message, "hash") && message.hash !== "")
                writer.uint32(/* id 2, wireType 2 =*/18).string(message.hash);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a BasicAuthData message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.BasicAuthData
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.BasicAuthData & coprocess.BasicAuthData.$Shape} BasicAuthData
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        BasicAuthData.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.BasicAuthData();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.password = value;
                        else
                            delete message.password;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.hash = value;
                        else
                            delete message.hash;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return BasicAuthData;
    })();

    coprocess.JWTData = (function() {

        /**
         * Properties of a JWTData.
         * @typedef {Object} coprocess.JWTData.$Properties
         * @property {string|null} [secret] JWTData secret
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a JWTData.
         * @memberof coprocess
         * @interface IJWTData
         * @augments coprocess.JWTData.$Properties
         * @deprecated Use coprocess.JWTData.$Properties instead.
         */

        /**
         * Shape of a JWTData.
         * @typedef {coprocess.JWTData.$Properties} coprocess.JWTData.$Shape
         */

        /**
         * Constructs a new JWTData.
         * @memberof coprocess
         * @classdesc Represents a JWTData.
         * @constructor
         * @param {coprocess.JWTData.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var JWTData = function (properties) {
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * JWTData secret.
         * @member {string} secret
         * @memberof coprocess.JWTData
         * @instance
         */
        JWTData.prototype.secret = "";

        /**
         * Creates a new JWTData instance using the specified properties.
         * @function create
         * @memberof coprocess.JWTData
         * @static
         * @param {coprocess.JWTData.$Properties=} [properties] Properties to set
         * @returns {coprocess.JWTData} JWTData instance
         * @type {{
         *   (properties: coprocess.JWTData.$Shape): coprocess.JWTData & coprocess.JWTData.$Shape;
         *   (properties?: coprocess.JWTData.$Properties): coprocess.JWTData;
         * }}
         */
        JWTData.create = function(properties) {
            return new JWTData(properties);
        };

        /**
         * Encodes the specified JWTData message. Does not implicitly {@link coprocess.JWTData.verify|verify} messages.
         * @function encode
         * @memberof coprocess.JWTData
         * @static
         * @param {coprocess.JWTData.$Properties} message JWTData message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        JWTData.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.secret != null && $Object.hasOwnProperty.call(message, "secret") && message.secret !== "")
                writer.uint32(/* id 1, wireType 2 =*/10).string(message.secret);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a JWTData message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.JWTData
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.JWTData & coprocess.JWTData.$Shape} JWTData
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        JWTData.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.JWTData();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.secret = value;
                        else
                            delete message.secret;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return JWTData;
    })();

    coprocess.Monitor = (function() {

        /**
         * Properties of a Monitor.
         * @typedef {Object} coprocess.Monitor.$Properties
         * @property {Array.<number>|null} [trigger_limits] Monitor trigger_limits
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Monitor.
         * @memberof coprocess
         * @interface IMonitor
         * @augments coprocess.Monitor.$Properties
         * @deprecated Use coprocess.Monitor.$Properties instead.
         */

        /**
         * Shape of a Monitor.
         * @typedef {coprocess.Monitor.$Properties} coprocess.Monitor.$Shape
         */

        /**
         * Constructs a new Monitor.
         * @memberof coprocess
         * @classdesc Represents a Monitor.
         * @constructor
         * @param {coprocess.Monitor.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var Monitor = function (properties) {
            this.trigger_limits = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Monitor trigger_limits.
         * @member {Array.<number>} trigger_limits
         * @memberof coprocess.Monitor
         * @instance
         */
        Monitor.prototype.trigger_limits = $util.emptyArray;

        /**
         * Creates a new Monitor instance using the specified properties.
         * @function create
         * @memberof coprocess.Monitor
         * @static
         * @param {coprocess.Monitor.$Properties=} [properties] Properties to set
         * @returns {coprocess.Monitor} Monitor instance
         * @type {{
         *   (properties: coprocess.Monitor.$Shape): coprocess.Monitor & coprocess.Monitor.$Shape;
         *   (properties?: coprocess.Monitor.$Properties): coprocess.Monitor;
         * }}
         */
        Monitor.create = function(properties) {
            return new Monitor(properties);
        };

        /**
         * Encodes the specified Monitor message. Does not implicitly {@link coprocess.Monitor.verify|verify} messages.
         * @function encode
         * @memberof coprocess.Monitor
         * @static
         * @param {coprocess.Monitor.$Properties} message Monitor message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Monitor.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.trigger_limits != null && message.trigger_limits.length)
                writer.uint32(/* id 1, wireType 2 =*/10).doubles(message.trigger_limits);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Monitor message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.Monitor
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.Monitor & coprocess.Monitor.$Shape} Monitor
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Monitor.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.Monitor();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType === 2) {
                            if (!(message.trigger_limits && message.trigger_limits.length))
                                message.trigger_limits = [];
                            reader.doubles(message.trigger_limits);
                            continue;
                        }
                        if (wireType !== 1)
                            break;
                        if (!(message.trigger_limits && message.trigger_limits.length))
                            message.trigger_limits = [];
                        message.trigger_limits.push(reader.double());
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return Monitor;
    })();

    coprocess.SessionState = (function() {

        /**
         * Properties of a SessionState.
         * @typedef {Object} coprocess.SessionState.$Properties
         * @property {number|Long|null} [last_check] SessionState last_check
         * @property {number|null} [allowance] SessionState allowance
         * @property {number|null} [rate] SessionState rate
         * @property {number|null} [per] SessionState per
         * @property {number|Long|null} [expires] SessionState expires
         * @property {number|Long|null} [quota_max] SessionState quota_max
         * @property {number|Long|null} [quota_renews] SessionState quota_renews
         * @property {number|Long|null} [quota_remaining] SessionState quota_remaining
         * @property {number|Long|null} [quota_renewal_rate] SessionState quota_renewal_rate
         * @property {Object.<string,coprocess.AccessDefinition.$Properties>|null} [access_rights] SessionState access_rights
         * @property {string|null} [org_id] SessionState org_id
         * @property {string|null} [oauth_client_id] SessionState oauth_client_id
         * @property {Object.<string,string>|null} [oauth_keys] SessionState oauth_keys
         * @property {coprocess.BasicAuthData.$Properties|null} [basic_auth_data] SessionState basic_auth_data
         * @property {coprocess.JWTData.$Properties|null} [jwt_data] SessionState jwt_data
         * @property {boolean|null} [hmac_enabled] SessionState hmac_enabled
         * @property {string|null} [hmac_secret] SessionState hmac_secret
         * @property {boolean|null} [is_inactive] SessionState is_inactive
         * @property {string|null} [apply_policy_id] SessionState apply_policy_id
         * @property {number|Long|null} [data_expires] SessionState data_expires
         * @property {coprocess.Monitor.$Properties|null} [monitor] SessionState monitor
         * @property {boolean|null} [enable_detailed_recording] SessionState enable_detailed_recording
         * @property {Object.<string,string>|null} [metadata] SessionState metadata
         * @property {Array.<string>|null} [tags] SessionState tags
         * @property {string|null} [alias] SessionState alias
         * @property {string|null} [last_updated] SessionState last_updated
         * @property {number|Long|null} [id_extractor_deadline] SessionState id_extractor_deadline
         * @property {number|Long|null} [session_lifetime] SessionState session_lifetime
         * @property {Array.<string>|null} [apply_policies] SessionState apply_policies
         * @property {string|null} [certificate] SessionState certificate
         * @property {number|Long|null} [max_query_depth] SessionState max_query_depth
         * @property {string|null} [key_id] SessionState key_id
         * @property {string|null} [post_expiry_action] SessionState post_expiry_action
         * @property {number|Long|null} [post_expiry_grace_period] SessionState post_expiry_grace_period
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a SessionState.
         * @memberof coprocess
         * @interface ISessionState
         * @augments coprocess.SessionState.$Properties
         * @deprecated Use coprocess.SessionState.$Properties instead.
         */

        /**
         * Shape of a SessionState.
         * @typedef {coprocess.SessionState.$Properties} coprocess.SessionState.$Shape
         */

        /**
         * Constructs a new SessionState.
         * @memberof coprocess
         * @classdesc Represents a SessionState.
         * @constructor
         * @param {coprocess.SessionState.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        var SessionState = function (properties) {
            this.access_rights = {};
            this.oauth_keys = {};
            this.metadata = {};
            this.tags = [];
            this.apply_policies = [];
            if (properties)
                for (var keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * SessionState last_check.
         * @member {number|Long} last_check
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.last_check = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState allowance.
         * @member {number} allowance
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.allowance = 0;

        /**
         * SessionState rate.
         * @member {number} rate
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.rate = 0;

        /**
         * SessionState per.
         * @member {number} per
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.per = 0;

        /**
         * SessionState expires.
         * @member {number|Long} expires
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.expires = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState quota_max.
         * @member {number|Long} quota_max
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.quota_max = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState quota_renews.
         * @member {number|Long} quota_renews
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.quota_renews = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState quota_remaining.
         * @member {number|Long} quota_remaining
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.quota_remaining = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState quota_renewal_rate.
         * @member {number|Long} quota_renewal_rate
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.quota_renewal_rate = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState access_rights.
         * @member {Object.<string,coprocess.AccessDefinition.$Properties>} access_rights
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.access_rights = $util.emptyObject;

        /**
         * SessionState org_id.
         * @member {string} org_id
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.org_id = "";

        /**
         * SessionState oauth_client_id.
         * @member {string} oauth_client_id
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.oauth_client_id = "";

        /**
         * SessionState oauth_keys.
         * @member {Object.<string,string>} oauth_keys
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.oauth_keys = $util.emptyObject;

        /**
         * SessionState basic_auth_data.
         * @member {coprocess.BasicAuthData.$Properties|null|undefined} basic_auth_data
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.basic_auth_data = null;

        /**
         * SessionState jwt_data.
         * @member {coprocess.JWTData.$Properties|null|undefined} jwt_data
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.jwt_data = null;

        /**
         * SessionState hmac_enabled.
         * @member {boolean} hmac_enabled
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.hmac_enabled = false;

        /**
         * SessionState hmac_secret.
         * @member {string} hmac_secret
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.hmac_secret = "";

        /**
         * SessionState is_inactive.
         * @member {boolean} is_inactive
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.is_inactive = false;

        /**
         * SessionState apply_policy_id.
         * @member {string} apply_policy_id
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.apply_policy_id = "";

        /**
         * SessionState data_expires.
         * @member {number|Long} data_expires
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.data_expires = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState monitor.
         * @member {coprocess.Monitor.$Properties|null|undefined} monitor
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.monitor = null;

        /**
         * SessionState enable_detailed_recording.
         * @member {boolean} enable_detailed_recording
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.enable_detailed_recording = false;

        /**
         * SessionState metadata.
         * @member {Object.<string,string>} metadata
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.metadata = $util.emptyObject;

        /**
         * SessionState tags.
         * @member {Array.<string>} tags
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.tags = $util.emptyArray;

        /**
         * SessionState alias.
         * @member {string} alias
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.alias = "";

        /**
         * SessionState last_updated.
         * @member {string} last_updated
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.last_updated = "";

        /**
         * SessionState id_extractor_deadline.
         * @member {number|Long} id_extractor_deadline
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.id_extractor_deadline = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState session_lifetime.
         * @member {number|Long} session_lifetime
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.session_lifetime = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState apply_policies.
         * @member {Array.<string>} apply_policies
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.apply_policies = $util.emptyArray;

        /**
         * SessionState certificate.
         * @member {string} certificate
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.certificate = "";

        /**
         * SessionState max_query_depth.
         * @member {number|Long} max_query_depth
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.max_query_depth = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * SessionState key_id.
         * @member {string} key_id
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.key_id = "";

        /**
         * SessionState post_expiry_action.
         * @member {string} post_expiry_action
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.post_expiry_action = "";

        /**
         * SessionState post_expiry_grace_period.
         * @member {number|Long} post_expiry_grace_period
         * @memberof coprocess.SessionState
         * @instance
         */
        SessionState.prototype.post_expiry_grace_period = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

        /**
         * Creates a new SessionState instance using the specified properties.
         * @function create
         * @memberof coprocess.SessionState
         * @static
         * @param {coprocess.SessionState.$Properties=} [properties] Properties to set
         * @returns {coprocess.SessionState} SessionState instance
         * @type {{
         *   (properties: coprocess.SessionState.$Shape): coprocess.SessionState & coprocess.SessionState.$Shape;
         *   (properties?: coprocess.SessionState.$Properties): coprocess.SessionState;
         * }}
         */
        SessionState.create = function(properties) {
            return new SessionState(properties);
        };

        /**
         * Encodes the specified SessionState message. Does not implicitly {@link coprocess.SessionState.verify|verify} messages.
         * @function encode
         * @memberof coprocess.SessionState
         * @static
         * @param {coprocess.SessionState.$Properties} message SessionState message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        SessionState.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.last_check != null && $Object.hasOwnProperty.call(message, "last_check") && (typeof message.last_check === "object" ? message.last_check.low || message.last_check.high : message.last_check !== 0))
                writer.uint32(/* id 1, wireType 0 =*/8).int64(message.last_check);
            if (message.allowance != null && $Object.hasOwnProperty.call(message, "allowance") && !$Object.is(message.allowance, 0))
                writer.uint32(/* id 2, wireType 1 =*/17).double(message.allowance);
            if (message.rate != null && $Object.hasOwnProperty.call(message, "rate") && !$Object.is(message.rate, 0))
                writer.uint32(/* id 3, wireType 1 =*/25).double(message.rate);
            if (message.per != null && $Object.hasOwnProperty.call(message, "per") && !$Object.is(message.per, 0))
                writer.uint32(/* id 4, wireType 1 =*/33).double(message.per);
            if (message.expires != null && $Object.hasOwnProperty.call(message, "expires") && (typeof message.expires === "object" ? message.expires.low || message.expires.high : message.expires !== 0))
                writer.uint32(/* id 5, wireType 0 =*/40).int64(message.expires);
            if (message.quota_max != null && $Object.hasOwnProperty.call(message, "quota_max") && (typeof message.quota_max === "object" ? message.quota_max.low || message.quota_max.high : message.quota_max !== 0))
                writer.uint32(/* id 6, wireType 0 =*/48).int64(message.quota_max);
            if (message.quota_renews != null && $Object.hasOwnProperty.call(message, "quota_renews") && (typeof message.quota_renews === "object" ? message.quota_renews.low || message.quota_renews.high : message.quota_renews !== 0))
                writer.uint32(/* id 7, wireType 0 =*/56).int64(message.quota_renews);
            if (message.quota_remaining != null && $Object.hasOwnProperty.call(message, "quota_remaining") && (typeof message.quota_remaining === "object" ? message.quota_remaining.low || message.quota_remaining.high : message.quota_remaining !== 0))
                writer.uint32(/* id 8, wireType 0 =*/64).int64(message.quota_remaining);
            if (message.quota_renewal_rate != null && $Object.hasOwnProperty.call(message, "quota_renewal_rate") && (typeof message.quota_renewal_rate === "object" ? message.quota_renewal_rate.low || message.quota_renewal_rate.high : message.quota_renewal_rate !== 0))
                writer.uint32(/* id 9, wireType 0 =*/72).int64(message.quota_renewal_rate);
            if (message.access_rights != null && $Object.hasOwnProperty.call(message, "access_rights"))
                for (var keys = $Object.keys(message.access_rights), i = 0; i < keys.length; ++i) {
                    writer.uint32(/* id 10, wireType 2 =*/82).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]);
                    $root.coprocess.AccessDefinition.encode(message.access_rights[keys[i]], writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim().ldelim();
                }
            if (message.org_id != null && $Object.hasOwnProperty.call(message, "org_id") && message.org_id !== "")
                writer.uint32(/* id 11, wireType 2 =*/90).string(message.org_id);
            if (message.oauth_client_id != null && $Object.hasOwnProperty.call(message, "oauth_client_id") && message.oauth_client_id !== "")
                writer.uint32(/* id 12, wireType 2 =*/98).string(message.oauth_client_id);
            if (message.oauth_keys != null && $Object.hasOwnProperty.call(message, "oauth_keys"))
                for (var keys = $Object.keys(message.oauth_keys), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 13, wireType 2 =*/106).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.oauth_keys[keys[i]]).ldelim();
            if (message.basic_auth_data != null && $Object.hasOwnProperty.call(message, "basic_auth_data"))
                $root.coprocess.BasicAuthData.encode(message.basic_auth_data, writer.uint32(/* id 14, wireType 2 =*/114).fork(), _depth + 1).ldelim();
            if (message.jwt_data != null && $Object.hasOwnProperty.call(message, "jwt_data"))
                $root.coprocess.JWTData.encode(message.jwt_data, writer.uint32(/* id 15, wireType 2 =*/122).fork(), _depth + 1).ldelim();
            if (message.hmac_enabled != null && $Object.hasOwnProperty.call(message, "hmac_enabled") && message.hmac_enabled !== false)
                writer.uint32(/* id 16, wireType 0 =*/128).bool(message.hmac_enabled);
            if (message.hmac_secret != null && $Object.hasOwnProperty.call(message, "hmac_secret") && message.hmac_secret !== "")
                writer.uint32(/* id 17, wireType 2 =*/138).string(message.hmac_secret);
            if (message.is_inactive != null && $Object.hasOwnProperty.call(message, "is_inactive") && message.is_inactive !== false)
                writer.uint32(/* id 18, wireType 0 =*/144).bool(message.is_inactive);
            if (message.apply_policy_id != null && $Object.hasOwnProperty.call(message, "apply_policy_id") && message.apply_policy_id !== "")
                writer.uint32(/* id 19, wireType 2 =*/154).string(message.apply_policy_id);
            if (message.data_expires != null && $Object.hasOwnProperty.call(message, "data_expires") && (typeof message.data_expires === "object" ? message.data_expires.low || message.data_expires.high : message.data_expires !== 0))
                writer.uint32(/* id 20, wireType 0 =*/160).int64(message.data_expires);
            if (message.monitor != null && $Object.hasOwnProperty.call(message, "monitor"))
                $root.coprocess.Monitor.encode(message.monitor, writer.uint32(/* id 21, wireType 2 =*/170).fork(), _depth + 1).ldelim();
            if (message.enable_detailed_recording != null && $Object.hasOwnProperty.call(message, "enable_detailed_recording") && message.enable_detailed_recording !== false)
                writer.uint32(/* id 22, wireType 0 =*/176).bool(message.enable_detailed_recording);
            if (message.metadata != null && $Object.hasOwnProperty.call(message, "metadata"))
                for (var keys = $Object.keys(message.metadata), i = 0; i < keys.length; ++i)
                    writer.uint32(/* id 23, wireType 2 =*/186).fork().uint32(/* id 1, wireType 2 =*/10).string(keys[i]).uint32(/* id 2, wireType 2 =*/18).string(message.metadata[keys[i]]).ldelim();
            if (message.tags != null && message.tags.length)
                for (var i = 0; i < message.tags.length; ++i)
                    writer.uint32(/* id 24, wireType 2 =*/194).string(message.tags[i]);
            if (message.alias != null && $Object.hasOwnProperty.call(message, "alias") && message.alias !== "")
                writer.uint32(/* id 25, wireType 2 =*/202).string(message.alias);
            if (message.last_updated != null && $Object.hasOwnProperty.call(message, "last_updated") && message.last_updated !== "")
                writer.uint32(/* id 26, wireType 2 =*/210).string(message.last_updated);
            if (message.id_extractor_deadline != null && $Object.hasOwnProperty.call(message, "id_extractor_deadline") && (typeof message.id_extractor_deadline === "object" ? message.id_extractor_deadline.low || message.id_extractor_deadline.high : message.id_extractor_deadline !== 0))
                writer.uint32(/* id 27, wireType 0 =*/216).int64(message.id_extractor_deadline);
            if (message.session_lifetime != null && $Object.hasOwnProperty.call(message, "session_lifetime") && (typeof message.session_lifetime === "object" ? message.session_lifetime.low || message.session_lifetime.high : message.session_lifetime !== 0))
                writer.uint32(/* id 28, wireType 0 =*/224).int64(message.session_lifetime);
            if (message.apply_policies != null && message.apply_policies.length)
                for (var i = 0; i < message.apply_policies.length; ++i)
                    writer.uint32(/* id 29, wireType 2 =*/234).string(message.apply_policies[i]);
            if (message.certificate != null && $Object.hasOwnProperty.call(message, "certificate") && message.certificate !== "")
                writer.uint32(/* id 30, wireType 2 =*/242).string(message.certificate);
            if (message.max_query_depth != null && $Object.hasOwnProperty.call(message, "max_query_depth") && (typeof message.max_query_depth === "object" ? message.max_query_depth.low || message.max_query_depth.high : message.max_query_depth !== 0))
                writer.uint32(/* id 31, wireType 0 =*/248).int64(message.max_query_depth);
            if (message.key_id != null && $Object.hasOwnProperty.call(message, "key_id") && message.key_id !== "")
                writer.uint32(/* id 32, wireType 2 =*/258).string(message.key_id);
            if (message.post_expiry_action != null && $Object.hasOwnProperty.call(message, "post_expiry_action") && message.post_expiry_action !== "")
                writer.uint32(/* id 33, wireType 2 =*/266).string(message.post_expiry_action);
            if (message.post_expiry_grace_period != null && $Object.hasOwnProperty.call(message, "post_expiry_grace_period") && (typeof message.post_expiry_grace_period === "object" ? message.post_expiry_grace_period.low || message.post_expiry_grace_period.high : message.post_expiry_grace_period !== 0))
                writer.uint32(/* id 34, wireType 0 =*/272).int64(message.post_expiry_grace_period);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (var i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a SessionState message from the specified reader or buffer.
         * @function decode
         * @memberof coprocess.SessionState
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {coprocess.SessionState & coprocess.SessionState.$Shape} SessionState
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        SessionState.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            var end, message, key, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.coprocess.SessionState();
            while (reader.pos < end) {
                var start = reader.pos;
                var tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                var wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.last_check = value;
                        else
                            delete message.last_check;
                        continue;
                    }
                case 2: {
                        if (wireType !== 1)
                            break;
                        if (!$Object.is(value = reader.double(), 0))
                            message.allowance = value;
                        else
                            delete message.allowance;
                        continue;
                    }
                case 3: {
                        if (wireType !== 1)
                            break;
                        if (!$Object.is(value = reader.double(), 0))
                            message.rate = value;
                        else
                            delete message.rate;
                        continue;
                    }
                case 4: {
                        if (wireType !== 1)
                            break;
                        if (!$Object.is(value = reader.double(), 0))
                            message.per = value;
                        else
                            delete message.per;
                        continue;
                    }
                case 5: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.expires = value;
                        else
                            delete message.expires;
                        continue;
                    }
                case 6: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.quota_max = value;
                        else
                            delete message.quota_max;
                        continue;
                    }
                case 7: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.quota_renews = value;
                        else
                            delete message.quota_renews;
                        continue;
                    }
                case 8: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.quota_remaining = value;
                        else
                            delete message.quota_remaining;
                        continue;
                    }
                case 9: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.quota_renewal_rate = value;
                        else
                            delete message.quota_renewal_rate;
                        continue;
                    }
                case 10: {
                        if (wireType !== 2)
                            break;
                        if (message.access_rights === $util.emptyObject)
                            message.access_rights = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = null;
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = $root.coprocess.AccessDefinition.decode(reader, reader.size(), $undefined, _depth + 1, value);
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.access_rights, key);
                        message.access_rights[key] = value || new $root.coprocess.AccessDefinition();
                        continue;
                    }
                case 11: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.org_id = value;
                        else
                            delete message.org_id;
                        continue;
                    }
                case 12: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.oauth_client_id = value;
                        else
                            delete message.oauth_client_id;
                        continue;
                    }
                case 13: {
                        if (wireType !== 2)
                            break;
                        if (message.oauth_keys === $util.emptyObject)
                            message.oauth_keys = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.oauth_keys, key);
                        message.oauth_keys[key] = value;
                        continue;
                    }
                case 14: {
                        if (wireType !== 2)
                            break;
                        message.basic_auth_data = $root.coprocess.BasicAuthData.decode(reader, reader.size(), $undefined, _depth + 1, message.basic_auth_data);
                        continue;
                    }
                case 15: {
                        if (wireType !== 2)
                            break;
                        message.jwt_data = $root.coprocess.JWTData.decode(reader, reader.size(), $undefined, _depth + 1, message.jwt_data);
                        continue;
                    }
                case 16: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.bool())
                            message.hmac_enabled = value;
                        else
                            delete message.hmac_enabled;
                        continue;
                    }
                case 17: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.hmac_secret = value;
                        else
                            delete message.hmac_secret;
                        continue;
                    }
                case 18: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.bool())
                            message.is_inactive = value;
                        else
                            delete message.is_inactive;
                        continue;
                    }
                case 19: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.apply_policy_id = value;
                        else
                            delete message.apply_policy_id;
                        continue;
                    }
                case 20: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.data_expires = value;
                        else
                            delete message.data_expires;
                        continue;
                    }
                case 21: {
                        if (wireType !== 2)
                            break;
                        message.monitor = $root.coprocess.Monitor.decode(reader, reader.size(), $undefined, _depth + 1, message.monitor);
                        continue;
                    }
                case 22: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.bool())
                            message.enable_detailed_recording = value;
                        else
                            delete message.enable_detailed_recording;
                        continue;
                    }
                case 23: {
                        if (wireType !== 2)
                            break;
                        if (message.metadata === $util.emptyObject)
                            message.metadata = {};
                        var end2 = reader.size() + reader.pos;
                        if (end2 > reader.len)
                            throw $RangeError("index out of range");
                        reader.len = end2;
                        key = "";
                        value = "";
                        while (reader.pos < end2) {
                            var tag2 = reader.tag();
                            wireType = tag2 & 7;
                            switch (tag2 >>>= 3) {
                            case 1:
                                if (wireType !== 2)
                                    break;
                                key = reader.stringVerify();
                                continue;
                            case 2:
                                if (wireType !== 2)
                                    break;
                                value = reader.stringVerify();
                                continue;
                            }
                            reader.skipType(wireType, _depth, tag2);
                        }
                        if (reader.pos !== end2)
                            throw $RangeError("index out of range");
                        reader.len = end;
                        if (key === "__proto__")
                            $util.makeProp(message.metadata, key);
                        message.metadata[key] = value;
                        continue;
                    }
                case 24: {
                        if (wireType !== 2)
                            break;
                        if (!(message.tags && message.tags.length))
                            message.tags = [];
                        message.tags.push(reader.stringVerify());
                        continue;
                    }
                case 25: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.alias = value;
                        else
                            delete message.alias;
                        continue;
                    }
                case 26: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.last_updated = value;
                        else
                            delete message.last_updated;
                        continue;
                    }
                case 27: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.id_extractor_deadline = value;
                        else
                            delete message.id_extractor_deadline;
                        continue;
                    }
                case 28: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.session_lifetime = value;
                        else
                            delete message.session_lifetime;
                        continue;
                    }
                case 29: {
                        if (wireType !== 2)
                            break;
                        if (!(message.apply_policies && message.apply_policies.length))
                            message.apply_policies = [];
                        message.apply_policies.push(reader.stringVerify());
                        continue;
                    }
                case 30: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.certificate = value;
                        else
                            delete message.certificate;
                        continue;
                    }
                case 31: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.max_query_depth = value;
                        else
                            delete message.max_query_depth;
                        continue;
                    }
                case 32: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.key_id = value;
                        else
                            delete message.key_id;
                        continue;
                    }
                case 33: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.post_expiry_action = value;
                        else
                            delete message.post_expiry_action;
                        continue;
                    }
                case 34: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.int64()) === "object" ? value.low || value.high : value !== 0)
                            message.post_expiry_grace_period = value;
                        else
                            delete message.post_expiry_grace_period;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        return SessionState;
    })();

    return coprocess;
})();

module.exports = $root;
