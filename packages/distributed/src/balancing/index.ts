export {
  type BalancerEndpoint,
  type HttpBalancerOptions,
  NGINX_CONFIG_DEFAULTS,
  NGINX_POOL,
  type NginxConfigOptions,
  renderNginxConfig,
  type Stickiness,
  type StreamBalancerOptions,
  type StreamBalancing,
} from './config.ts';
export {
  findNginx,
  freePort,
  type NginxProcess,
  nginxStreamModule,
  type StartNginxOptions,
  startNginx,
} from './nginx.ts';
