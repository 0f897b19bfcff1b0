# baresip 1.0 (bookworm) headless test phone @EXT@ for the CTI sandbox - loopback only (ctrl_tcp on the PBX's veth address in the remote layout)
poll_method		epoll
sip_listen		127.0.0.1:@SIP_PORT@
call_local_timeout	120
call_max_calls		@MAX_CALLS@
audio_path		/usr/share/baresip
# no sound card: send a tone file, play nothing
audio_source		aufile,@DIR@/tone.wav
audio_alert		
audio_player		
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
audio_level		no
audio_buffer		20-160
rtp_ports		@RTP_PORTS@
rtp_stats		no
rtcp_mux		no
jitter_buffer_delay	5-10
dns_server		127.0.0.1:53
net_interface		127.0.0.1
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
statmode_default	off
module_app		ctrl_tcp.so
ctrl_tcp_listen		@CTRL_HOST@:@CTRL_PORT@
