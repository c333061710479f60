import * as $protobuf from "protobufjs";
import Long = require("long");

/** Namespace coprocess. */
export namespace coprocess {

    /** HookType enum. */
    enum HookType {

        /** Unknown value */
        Unknown = 0,

        /** Pre value */
        Pre = 1,

        /** Post value */
        Post = 2,

        /** PostKeyAuth value */
        PostKeyAuth = 3,

        /** CustomKeyCheck value */
        CustomKeyCheck = 4,

        /** Response value */
        Response = 5
    }

    /**
     * Properties of a StringSlice.
     * @deprecated Use coprocess.StringSlice.$Properties instead.
     */
    interface IStringSlice extends coprocess.StringSlice.$Properties {
    }

    /** Represents a StringSlice. */
    class StringSlice {

        /**
         * Constructs a new StringSlice.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.StringSlice.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** StringSlice items. */
        items: string[];

        /**
         * Creates a new StringSlice instance using the specified properties.
         * @param [properties] Properties to set
         * @returns StringSlice instance
         */
        static create(properties: coprocess.StringSlice.$Shape): coprocess.StringSlice & coprocess.StringSlice.$Shape;
        static create(properties?: coprocess.StringSlice.$Properties): coprocess.StringSlice;

        /**
         * Encodes the specified StringSlice message. Does not implicitly {@link coprocess.StringSlice.verify|verify} messages.
         * @param message StringSlice message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.StringSlice.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a StringSlice message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.StringSlice & coprocess.StringSlice.$Shape} StringSlice
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.StringSlice & coprocess.StringSlice.$Shape;
    }

    namespace StringSlice {

        /** Properties of a StringSlice. */
        interface $Properties {

            /** StringSlice items */
            items?: (string[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a StringSlice. */
        type $Shape = coprocess.StringSlice.$Properties;
    }

    /**
     * Properties of a MiniRequestObject.
     * @deprecated Use coprocess.MiniRequestObject.$Properties instead.
     */
    interface IMiniRequestObject extends coprocess.MiniRequestObject.$Properties {
    }

    /** Represents a MiniRequestObject. */
    class MiniRequestObject {

        /**
         * Constructs a new MiniRequestObject.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.MiniRequestObject.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** MiniRequestObject headers. */
        headers: { [k: string]: string };

        /** MiniRequestObject set_headers. */
        set_headers: { [k: string]: string };

        /** MiniRequestObject delete_headers. */
        delete_headers: string[];

        /** MiniRequestObject body. */
        body: string;

        /** MiniRequestObject url. */
        url: string;

        /** MiniRequestObject params. */
        params: { [k: string]: string };

        /** MiniRequestObject add_params. */
        add_params: { [k: string]: string };

        /** MiniRequestObject extended_params. */
        extended_params: { [k: string]: string };

        /** MiniRequestObject delete_params. */
        delete_params: string[];

        /** MiniRequestObject return_overrides. */
        return_overrides?: (coprocess.ReturnOverrides.$Properties|null);

        /** MiniRequestObject method. */
        method: string;

        /** MiniRequestObject request_uri. */
        request_uri: string;

        /** MiniRequestObject scheme. */
        scheme: string;

        /** MiniRequestObject raw_body. */
        raw_body: Uint8Array;

        /**
         * Creates a new MiniRequestObject instance using the specified properties.
         * @param [properties] Properties to set
         * @returns MiniRequestObject instance
         */
        static create(properties: coprocess.MiniRequestObject.$Shape): coprocess.MiniRequestObject & coprocess.MiniRequestObject.$Shape;
        static create(properties?: coprocess.MiniRequestObject.$Properties): coprocess.MiniRequestObject;

        /**
         * Encodes the specified MiniRequestObject message. Does not implicitly {@link coprocess.MiniRequestObject.verify|verify} messages.
         * @param message MiniRequestObject message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.MiniRequestObject.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a MiniRequestObject message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.MiniRequestObject & coprocess.MiniRequestObject.$Shape} MiniRequestObject
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.MiniRequestObject & coprocess.MiniRequestObject.$Shape;
    }

    namespace MiniRequestObject {

        /** Properties of a MiniRequestObject. */
        interface $Properties {

            /** MiniRequestObject headers */
            headers?: ({ [k: string]: string }|null);

            /** MiniRequestObject set_headers */
            set_headers?: ({ [k: string]: string }|null);

            /** MiniRequestObject delete_headers */
            delete_headers?: (string[]|null);

            /** MiniRequestObject body */
            body?: (string|null);

            /** MiniRequestObject url */
            url?: (string|null);

            /** MiniRequestObject params */
            params?: ({ [k: string]: string }|null);

            /** MiniRequestObject add_params */
            add_params?: ({ [k: string]: string }|null);

            /** MiniRequestObject extended_params */
            extended_params?: ({ [k: string]: string }|null);

            /** MiniRequestObject delete_params */
            delete_params?: (string[]|null);

            /** MiniRequestObject return_overrides */
            return_overrides?: (coprocess.ReturnOverrides.$Properties|null);

            /** MiniRequestObject method */
            method?: (string|null);

            /** MiniRequestObject request_uri */
            request_uri?: (string|null);

            /** MiniRequestObject scheme */
            scheme?: (string|null);

            /** MiniRequestObject raw_body */
            raw_body?: (Uint8Array|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a MiniRequestObject. */
        type $Shape = coprocess.MiniRequestObject.$Properties;
    }

    /**
     * Properties of a ReturnOverrides.
     * @deprecated Use coprocess.ReturnOverrides.$Properties instead.
     */
    interface IReturnOverrides extends coprocess.ReturnOverrides.$Properties {
    }

    /** Represents a ReturnOverrides. */
    class ReturnOverrides {

        /**
         * Constructs a new ReturnOverrides.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.ReturnOverrides.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** ReturnOverrides response_code. */
        response_code: number;

        /** ReturnOverrides response_error. */
        response_error: string;

        /** ReturnOverrides headers. */
        headers: { [k: string]: string };

        /** ReturnOverrides override_error. */
        override_error: boolean;

        /** ReturnOverrides response_body. */
        response_body: string;

        /**
         * Creates a new ReturnOverrides instance using the specified properties.
         * @param [properties] Properties to set
         * @returns ReturnOverrides instance
         */
        static create(properties: coprocess.ReturnOverrides.$Shape): coprocess.ReturnOverrides & coprocess.ReturnOverrides.$Shape;
        static create(properties?: coprocess.ReturnOverrides.$Properties): coprocess.ReturnOverrides;

        /**
         * Encodes the specified ReturnOverrides message. Does not implicitly {@link coprocess.ReturnOverrides.verify|verify} messages.
         * @param message ReturnOverrides message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.ReturnOverrides.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a ReturnOverrides message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.ReturnOverrides & coprocess.ReturnOverrides.$Shape} ReturnOverrides
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.ReturnOverrides & coprocess.ReturnOverrides.$Shape;
    }

    namespace ReturnOverrides {

        /** Properties of a ReturnOverrides. */
        interface $Properties {

            /** ReturnOverrides response_code */
            response_code?: (number|null);

            /** ReturnOverrides response_error */
            response_error?: (string|null);

            /** ReturnOverrides headers */
            headers?: ({ [k: string]: string }|null);

            /** ReturnOverrides override_error */
            override_error?: (boolean|null);

            /** ReturnOverrides response_body */
            response_body?: (string|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a ReturnOverrides. */
        type $Shape = coprocess.ReturnOverrides.$Properties;
    }

    /**
     * Properties of an Object.
     * @deprecated Use coprocess.Object.$Properties instead.
     */
    interface IObject extends coprocess.Object.$Properties {
    }

    /** Represents an Object. */
    class Object {

        /**
         * Constructs a new Object.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.Object.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Object hook_type. */
        hook_type: coprocess.HookType;

        /** Object hook_name. */
        hook_name: string;

        /** Object request. */
        request?: (coprocess.MiniRequestObject.$Properties|null);

        /** Object session. */
        session?: (coprocess.SessionState.$Properties|null);

        /** Object metadata. */
        metadata: { [k: string]: string };

        /** Object spec. */
        spec: { [k: string]: string };

        /** Object response. */
        response?: (coprocess.ResponseObject.$Properties|null);

        /**
         * Creates a new Object instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Object instance
         */
        static create(properties: coprocess.Object.$Shape): coprocess.Object & coprocess.Object.$Shape;
        static create(properties?: coprocess.Object.$Properties): coprocess.Object;

        /**
         * Encodes the specified Object message. Does not implicitly {@link coprocess.Object.verify|verify} messages.
         * @param message Object message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.Object.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an Object message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.Object & coprocess.Object.$Shape} Object
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.Object & coprocess.Object.$Shape;
    }

    namespace Object {

        /** Properties of an Object. */
        interface $Properties {

            /** Object hook_type */
            hook_type?: (coprocess.HookType|null);

            /** Object hook_name */
            hook_name?: (string|null);

            /** Object request */
            request?: (coprocess.MiniRequestObject.$Properties|null);

            /** Object session */
            session?: (coprocess.SessionState.$Properties|null);

            /** Object metadata */
            metadata?: ({ [k: string]: string }|null);

            /** Object spec */
            spec?: ({ [k: string]: string }|null);

            /** Object response */
            response?: (coprocess.ResponseObject.$Properties|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an Object. */
        type $Shape = coprocess.Object.$Properties;
    }

    /**
     * Properties of an Event.
     * @deprecated Use coprocess.Event.$Properties instead.
     */
    interface IEvent extends coprocess.Event.$Properties {
    }

    /** Represents an Event. */
    class Event {

        /**
         * Constructs a new Event.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.Event.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Event payload. */
        payload: string;

        /**
         * Creates a new Event instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Event instance
         */
        static create(properties: coprocess.Event.$Shape): coprocess.Event & coprocess.Event.$Shape;
        static create(properties?: coprocess.Event.$Properties): coprocess.Event;

        /**
         * Encodes the specified Event message. Does not implicitly {@link coprocess.Event.verify|verify} messages.
         * @param message Event message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.Event.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an Event message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.Event & coprocess.Event.$Shape} Event
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.Event & coprocess.Event.$Shape;
    }

    namespace Event {

        /** Properties of an Event. */
        interface $Properties {

            /** Event payload */
            payload?: (string|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an Event. */
        type $Shape = coprocess.Event.$Properties;
    }

    /**
     * Properties of an EventReply.
     * @deprecated Use coprocess.EventReply.$Properties instead.
     */
    interface IEventReply extends coprocess.EventReply.$Properties {
    }

    /** Represents an EventReply. */
    class EventReply {

        /**
         * Constructs a new EventReply.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.EventReply.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /**
         * Creates a new EventReply instance using the specified properties.
         * @param [properties] Properties to set
         * @returns EventReply instance
         */
        static create(properties: coprocess.EventReply.$Shape): coprocess.EventReply & coprocess.EventReply.$Shape;
        static create(properties?: coprocess.EventReply.$Properties): coprocess.EventReply;

        /**
         * Encodes the specified EventReply message. Does not implicitly {@link coprocess.EventReply.verify|verify} messages.
         * @param message EventReply message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.EventReply.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an EventReply message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.EventReply & coprocess.EventReply.$Shape} EventReply
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.EventReply & coprocess.EventReply.$Shape;
    }

    namespace EventReply {

        /** Properties of an EventReply. */
        interface $Properties {

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an EventReply. */
        type $Shape = coprocess.EventReply.$Properties;
    }

    /** Represents a Dispatcher */
    class Dispatcher extends $protobuf.rpc.Service {

        /**
         * Constructs a new Dispatcher service.
         * @param rpcImpl RPC implementation
         * @param [requestDelimited=false] Whether requests are length-delimited
         * @param [responseDelimited=false] Whether responses are length-delimited
         */
        constructor(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean);

        /**
         * Creates new Dispatcher service using the specified rpc implementation.
         * @param rpcImpl RPC implementation
         * @param [requestDelimited=false] Whether requests are length-delimited
         * @param [responseDelimited=false] Whether responses are length-delimited
         * @returns RPC service. Useful where requests and/or responses are streamed.
         */
        static create(rpcImpl: $protobuf.RPCImpl, requestDelimited?: boolean, responseDelimited?: boolean): Dispatcher;

        /** Calls Dispatch. */
        dispatch: coprocess.Dispatcher.Dispatch;

        /** Calls DispatchEvent. */
        dispatchEvent: coprocess.Dispatcher.DispatchEvent;
    }

    namespace Dispatcher {

        /**
         * Callback as used by {@link coprocess.Dispatcher#dispatch}.
         * @param error Error, if any
         * @param [response] Object
         */
        type DispatchCallback = (error: (Error|null), response?: coprocess.Object) => void;

        /** Calls Dispatch. */
        type Dispatch = {
          (request: coprocess.IObject, callback: coprocess.Dispatcher.DispatchCallback): void;
          (request: coprocess.IObject): Promise<coprocess.Object>;
          readonly name: "Dispatch";
          readonly path: "/coprocess.Dispatcher/Dispatch";
          readonly requestType: "object";
          readonly responseType: "object";
          readonly requestStream: undefined;
          readonly responseStream: undefined;
        };

        /**
         * Callback as used by {@link coprocess.Dispatcher#dispatchEvent}.
         * @param error Error, if any
         * @param [response] EventReply
         */
        type DispatchEventCallback = (error: (Error|null), response?: coprocess.EventReply) => void;

        /** Calls DispatchEvent. */
        type DispatchEvent = {
          (request: coprocess.IEvent, callback: coprocess.Dispatcher.DispatchEventCallback): void;
          (request: coprocess.IEvent): Promise<coprocess.EventReply>;
          readonly name: "DispatchEvent";
          readonly path: "/coprocess.Dispatcher/DispatchEvent";
          readonly requestType: "Event";
          readonly responseType: "EventReply";
          readonly requestStream: undefined;
          readonly responseStream: undefined;
        };
    }

    /**
     * Properties of a ResponseObject.
     * @deprecated Use coprocess.ResponseObject.$Properties instead.
     */
    interface IResponseObject extends coprocess.ResponseObject.$Properties {
    }

    /** Represents a ResponseObject. */
    class ResponseObject {

        /**
         * Constructs a new ResponseObject.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.ResponseObject.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** ResponseObject status_code. */
        status_code: number;

        /** ResponseObject raw_body. */
        raw_body: Uint8Array;

        /** ResponseObject body. */
        body: string;

        /** ResponseObject headers. */
        headers: { [k: string]: string };

        /** ResponseObject multivalue_headers. */
        multivalue_headers: coprocess.Header.$Properties[];

        /**
         * Creates a new ResponseObject instance using the specified properties.
         * @param [properties] Properties to set
         * @returns ResponseObject instance
         */
        static create(properties: coprocess.ResponseObject.$Shape): coprocess.ResponseObject & coprocess.ResponseObject.$Shape;
        static create(properties?: coprocess.ResponseObject.$Properties): coprocess.ResponseObject;

        /**
         * Encodes the specified ResponseObject message. Does not implicitly {@link coprocess.ResponseObject.verify|verify} messages.
         * @param message ResponseObject message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.ResponseObject.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a ResponseObject message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.ResponseObject & coprocess.ResponseObject.$Shape} ResponseObject
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.ResponseObject & coprocess.ResponseObject.$Shape;
    }

    namespace ResponseObject {

        /** Properties of a ResponseObject. */
        interface $Properties {

            /** ResponseObject status_code */
            status_code?: (number|null);

            /** ResponseObject raw_body */
            raw_body?: (Uint8Array|null);

            /** ResponseObject body */
            body?: (string|null);

            /** ResponseObject headers */
            headers?: ({ [k: string]: string }|null);

            /** ResponseObject multivalue_headers */
            multivalue_headers?: (coprocess.Header.$Properties[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a ResponseObject. */
        type $Shape = coprocess.ResponseObject.$Properties;
    }

    /**
     * Properties of a Header.
     * @deprecated Use coprocess.Header.$Properties instead.
     */
    interface IHeader extends coprocess.Header.$Properties {
    }

    /** Represents a Header. */
    class Header {

        /**
         * Constructs a new Header.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.Header.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Header key. */
        key: string;

        /** Header values. */
        values: string[];

        /**
         * Creates a new Header instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Header instance
         */
        static create(properties: coprocess.Header.$Shape): coprocess.Header & coprocess.Header.$Shape;
        static create(properties?: coprocess.Header.$Properties): coprocess.Header;

        /**
         * Encodes the specified Header message. Does not implicitly {@link coprocess.Header.verify|verify} messages.
         * @param message Header message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.Header.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Header message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.Header & coprocess.Header.$Shape} Header
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.Header & coprocess.Header.$Shape;
    }

    namespace Header {

        /** Properties of a Header. */
        interface $Properties {

            /** Header key */
            key?: (string|null);

            /** Header values */
            values?: (string[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Header. */
        type $Shape = coprocess.Header.$Properties;
    }

    /**
     * Properties of an AccessSpec.
     * @deprecated Use coprocess.AccessSpec.$Properties instead.
     */
    interface IAccessSpec extends coprocess.AccessSpec.$Properties {
    }

    /** Represents an AccessSpec. */
    class AccessSpec {

        /**
         * Constructs a new AccessSpec.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.AccessSpec.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** AccessSpec url. */
        url: string;

        /** AccessSpec methods. */
        methods: string[];

        /**
         * Creates a new AccessSpec instance using the specified properties.
         * @param [properties] Properties to set
         * @returns AccessSpec instance
         */
        static create(properties: coprocess.AccessSpec.$Shape): coprocess.AccessSpec & coprocess.AccessSpec.$Shape;
        static create(properties?: coprocess.AccessSpec.$Properties): coprocess.AccessSpec;

        /**
         * Encodes the specified AccessSpec message. Does not implicitly {@link coprocess.AccessSpec.verify|verify} messages.
         * @param message AccessSpec message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.AccessSpec.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an AccessSpec message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.AccessSpec & coprocess.AccessSpec.$Shape} AccessSpec
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.AccessSpec & coprocess.AccessSpec.$Shape;
    }

    namespace AccessSpec {

        /** Properties of an AccessSpec. */
        interface $Properties {

            /** AccessSpec url */
            url?: (string|null);

            /** AccessSpec methods */
            methods?: (string[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an AccessSpec. */
        type $Shape = coprocess.AccessSpec.$Properties;
    }

    /**
     * Properties of an AccessDefinition.
     * @deprecated Use coprocess.AccessDefinition.$Properties instead.
     */
    interface IAccessDefinition extends coprocess.AccessDefinition.$Properties {
    }

    /** Represents an AccessDefinition. */
    class AccessDefinition {

        /**
         * Constructs a new AccessDefinition.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.AccessDefinition.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** AccessDefinition api_name. */
        api_name: string;

        /** AccessDefinition api_id. */
        api_id: string;

        /** AccessDefinition versions. */
        versions: string[];

        /** AccessDefinition allowed_urls. */
        allowed_urls: coprocess.AccessSpec.$Properties[];

        /**
         * Creates a new AccessDefinition instance using the specified properties.
         * @param [properties] Properties to set
         * @returns AccessDefinition instance
         */
        static create(properties: coprocess.AccessDefinition.$Shape): coprocess.AccessDefinition & coprocess.AccessDefinition.$Shape;
        static create(properties?: coprocess.AccessDefinition.$Properties): coprocess.AccessDefinition;

        /**
         * Encodes the specified AccessDefinition message. Does not implicitly {@link coprocess.AccessDefinition.verify|verify} messages.
         * @param message AccessDefinition message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.AccessDefinition.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes an AccessDefinition message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.AccessDefinition & coprocess.AccessDefinition.$Shape} AccessDefinition
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.AccessDefinition & coprocess.AccessDefinition.$Shape;
    }

    namespace AccessDefinition {

        /** Properties of an AccessDefinition. */
        interface $Properties {

            /** AccessDefinition api_name */
            api_name?: (string|null);

            /** AccessDefinition api_id */
            api_id?: (string|null);

            /** AccessDefinition versions */
            versions?: (string[]|null);

            /** AccessDefinition allowed_urls */
            allowed_urls?: (coprocess.AccessSpec.$Properties[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of an AccessDefinition. */
        type $Shape = coprocess.AccessDefinition.$Properties;
    }

    /**
     * Properties of a BasicAuthData.
     * @deprecated Use coprocess.BasicAuthData.$Properties instead.
     */
    interface IBasicAuthData extends coprocess.BasicAuthData.$Properties {
    }

    /** Represents a BasicAuthData. */
    class BasicAuthData {

        /**
         * Constructs a new BasicAuthData.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.BasicAuthData.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** BasicAuthData password. */
        password: string;

        /** BasicAuthData hash. */
        hash: string;

        /**
         * Creates a new BasicAuthData instance using the specified properties.
         * @param [properties] Properties to set
         * @returns BasicAuthData instance
         */
        static create(properties: coprocess.BasicAuthData.$Shape): coprocess.BasicAuthData & coprocess.BasicAuthData.$Shape;
        static create(properties?: coprocess.BasicAuthData.$Properties): coprocess.BasicAuthData;

        /**
         * Encodes the specified BasicAuthData message. Does not implicitly {@link coprocess.BasicAuthData.verify|verify} messages.
         * @param message BasicAuthData message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.BasicAuthData.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a BasicAuthData message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.BasicAuthData & coprocess.BasicAuthData.$Shape} BasicAuthData
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.BasicAuthData & coprocess.BasicAuthData.$Shape;
    }

    namespace BasicAuthData {

        /** Properties of a BasicAuthData. */
        interface $Properties {

            /** BasicAuthData password */
            password?: (string|null);

            /** BasicAuthData hash */
            hash?: (string|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a BasicAuthData. */
        type $Shape = coprocess.BasicAuthData.$Properties;
    }

    /**
     * Properties of a JWTData.
     * @deprecated Use coprocess.JWTData.$Properties instead.
     */
    interface IJWTData extends coprocess.JWTData.$Properties {
    }

    /** Represents a JWTData. */
    class JWTData {

        /**
         * Constructs a new JWTData.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.JWTData.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** JWTData secret. */
        secret: string;

        /**
         * Creates a new JWTData instance using the specified properties.
         * @param [properties] Properties to set
         * @returns JWTData instance
         */
        static create(properties: coprocess.JWTData.$Shape): coprocess.JWTData & coprocess.JWTData.$Shape;
        static create(properties?: coprocess.JWTData.$Properties): coprocess.JWTData;

        /**
         * Encodes the specified JWTData message. Does not implicitly {@link coprocess.JWTData.verify|verify} messages.
         * @param message JWTData message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.JWTData.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a JWTData message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.JWTData & coprocess.JWTData.$Shape} JWTData
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.JWTData & coprocess.JWTData.$Shape;
    }

    namespace JWTData {

        /** Properties of a JWTData. */
        interface $Properties {

            /** JWTData secret */
            secret?: (string|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a JWTData. */
        type $Shape = coprocess.JWTData.$Properties;
    }

    /**
     * Properties of a Monitor.
     * @deprecated Use coprocess.Monitor.$Properties instead.
     */
    interface IMonitor extends coprocess.Monitor.$Properties {
    }

    /** Represents a Monitor. */
    class Monitor {

        /**
         * Constructs a new Monitor.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.Monitor.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Monitor trigger_limits. */
        trigger_limits: number[];

        /**
         * Creates a new Monitor instance using the specified properties.
         * @param [properties] Properties to set
         * @returns Monitor instance
         */
        static create(properties: coprocess.Monitor.$Shape): coprocess.Monitor & coprocess.Monitor.$Shape;
        static create(properties?: coprocess.Monitor.$Properties): coprocess.Monitor;

        /**
         * Encodes the specified Monitor message. Does not implicitly {@link coprocess.Monitor.verify|verify} messages.
         * @param message Monitor message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.Monitor.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Monitor message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.Monitor & coprocess.Monitor.$Shape} Monitor
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.Monitor & coprocess.Monitor.$Shape;
    }

    namespace Monitor {

        /** Properties of a Monitor. */
        interface $Properties {

            /** Monitor trigger_limits */
            trigger_limits?: (number[]|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Monitor. */
        type $Shape = coprocess.Monitor.$Properties;
    }

    /**
     * Properties of a SessionState.
     * @deprecated Use coprocess.SessionState.$Properties instead.
     */
    interface ISessionState extends coprocess.SessionState.$Properties {
    }

    /** Represents a SessionState. */
    class SessionState {

        /**
         * Constructs a new SessionState.
         * @param [properties] Properties to set
         */
        constructor(properties?: coprocess.SessionState.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** SessionState last_check. */
        last_check: (number|Long);

        /** SessionState allowance. */
        allowance: number;

        /** SessionState rate. */
        rate: number;

        /** SessionState per. */
        per: number;

        /** SessionState expires. */
        expires: (number|Long);

        /** SessionState quota_max. */
        quota_max: (number|Long);

        /** SessionState quota_renews. */
        quota_renews: (number|Long);

        /** SessionState quota_remaining. */
        quota_remaining: (number|Long);

        /** SessionState quota_renewal_rate. */
        quota_renewal_rate: (number|Long);

        /** SessionState access_rights. */
        access_rights: { [k: string]: coprocess.AccessDefinition.$Properties };

        /** SessionState org_id. */
        org_id: string;

        /** SessionState oauth_client_id. */
        oauth_client_id: string;

        /** SessionState oauth_keys. */
        oauth_keys: { [k: string]: string };

        /** SessionState basic_auth_data. */
        basic_auth_data?: (coprocess.BasicAuthData.$Properties|null);

        /** SessionState jwt_data. */
        jwt_data?: (coprocess.JWTData.$Properties|null);

        /** SessionState hmac_enabled. */
        hmac_enabled: boolean;

        /** SessionState hmac_secret. */
        hmac_secret: string;

        /** SessionState is_inactive. */
        is_inactive: boolean;

        /** SessionState apply_policy_id. */
        apply_policy_id: string;

        /** SessionState data_expires. */
        data_expires: (number|Long);

        /** SessionState monitor. */
        monitor?: (coprocess.Monitor.$Properties|null);

        /** SessionState enable_detailed_recording. */
        enable_detailed_recording: boolean;

        /** SessionState metadata. */
        metadata: { [k: string]: string };

        /** SessionState tags. */
        tags: string[];

        /** SessionState alias. */
        alias: string;

        /** SessionState last_updated. */
        last_updated: string;

        /** SessionState id_extractor_deadline. */
        id_extractor_deadline: (number|Long);

        /** SessionState session_lifetime. */
        session_lifetime: (number|Long);

        /** SessionState apply_policies. */
        apply_policies: string[];

        /** SessionState certificate. */
        certificate: string;

        /** SessionState max_query_depth. */
        max_query_depth: (number|Long);

        /** SessionState key_id. */
        key_id: string;

        /** SessionState post_expiry_action. */
        post_expiry_action: string;

        /** SessionState post_expiry_grace_period. */
        post_expiry_grace_period: (number|Long);

        /**
         * Creates a new SessionState instance using the specified properties.
         * @param [properties] Properties to set
         * @returns SessionState instance
         */
        static create(properties: coprocess.SessionState.$Shape): coprocess.SessionState & coprocess.SessionState.$Shape;
        static create(properties?: coprocess.SessionState.$Properties): coprocess.SessionState;

        /**
         * Encodes the specified SessionState message. Does not implicitly {@link coprocess.SessionState.verify|verify} messages.
         * @param message SessionState message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: coprocess.SessionState.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a SessionState message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {coprocess.SessionState & coprocess.SessionState.$Shape} SessionState
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): coprocess.SessionState & coprocess.SessionState.$Shape;
    }

    namespace SessionState {

        /** Properties of a SessionState. */
        interface $Properties {

            /** SessionState last_check */
            last_check?: (number|Long|null);

            /** SessionState allowance */
            allowance?: (number|null);

            /** SessionState rate */
            rate?: (number|null);

            /** SessionState per */
            per?: (number|null);

            /** SessionState expires */
            expires?: (number|Long|null);

            /** SessionState quota_max */
            quota_max?: (number|Long|null);

            /** SessionState quota_renews */
            quota_renews?: (number|Long|null);

            /** SessionState quota_remaining */
            quota_remaining?: (number|Long|null);

            /** SessionState quota_renewal_rate */
            quota_renewal_rate?: (number|Long|null);

            /** SessionState access_rights */
            access_rights?: ({ [k: string]: coprocess.AccessDefinition.$Properties }|null);

            /** SessionState org_id */
            org_id?: (string|null);

            /** SessionState oauth_client_id */
            oauth_client_id?: (string|null);

            /** SessionState oauth_keys */
            oauth_keys?: ({ [k: string]: string }|null);

            /** SessionState basic_auth_data */
            basic_auth_data?: (coprocess.BasicAuthData.$Properties|null);

            /** SessionState jwt_data */
            jwt_data?: (coprocess.JWTData.$Properties|null);

            /** SessionState hmac_enabled */
            hmac_enabled?: (boolean|null);

            /** SessionState hmac_secret */
            hmac_secret?: (string|null);

            /** SessionState is_inactive */
            is_inactive?: (boolean|null);

            /** SessionState apply_policy_id */
            apply_policy_id?: (string|null);

            /** SessionState data_expires */
            data_expires?: (number|Long|null);

            /** SessionState monitor */
            monitor?: (coprocess.Monitor.$Properties|null);

            /** SessionState enable_detailed_recording */
            enable_detailed_recording?: (boolean|null);

            /** SessionState metadata */
            metadata?: ({ [k: string]: string }|null);

            /** SessionState tags */
            tags?: (string[]|null);

            /** SessionState alias */
            alias?: (string|null);

            /** SessionState last_updated */
            last_updated?: (string|null);

            /** SessionState id_extractor_deadline */
            id_extractor_deadline?: (number|Long|null);

            /** SessionState session_lifetime */
            session_lifetime?: (number|Long|null);

            /** SessionState apply_policies */
            apply_policies?: (string[]|null);

            /** SessionState certificate */
            certificate?: (string|null);

            /** SessionState max_query_depth */
            max_query_depth?: (number|Long|null);

            /** SessionState key_id */
            key_id?: (string|null);

            /** SessionState post_expiry_action */
            post_expiry_action?: (string|null);

            /** SessionState post_expiry_grace_period */
            post_expiry_grace_period?: (number|Long|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a SessionState. */
        type $Shape = coprocess.SessionState.$Properties;
    }
}
