export {
  BrokerUnavailableError,
  EVENTS_EXCHANGE,
  RabbitmqSink,
  type RabbitmqSinkOptions,
} from './rabbitmq-sink.js';
