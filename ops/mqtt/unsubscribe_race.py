#!/usr/bin/python3
"""Does a publish from a second connection reach a subscriber that has sent UNSUBSCRIBE but not yet had its UNSUBACK?
(The race Paho's test_unsubscribe could be losing: its 3.1.1 client does not wait for UNSUBACK.)

    /usr/bin/python3 ops/mqtt/unsubscribe_race.py PORT {wait|nowait} ROUNDS

Against an open broker on 127.0.0.1:PORT (mosquitto with allow_anonymous, or `edgecl broker --open-for-testing`): per
round, client B subscribes to race/N (QoS 1) and unsubscribes (waiting for UNSUBACK or not), then client A connects and
publishes to race/N (QoS 0); B listens 0.3 s. Prints how many publishes arrived after the unsubscribe.
"""
import socket, struct, sys
port=int(sys.argv[1]); wait_unsuback = sys.argv[2]=="wait"; n=int(sys.argv[3])
def s(x): b=x.encode(); return bytes([len(b)>>8,len(b)&255])+b
def conn(cid):
    body=s("MQTT")+bytes([4,2,0,60])+s(cid)
    c=socket.create_connection(("127.0.0.1",port)); c.sendall(bytes([0x10,len(body)])+body); c.settimeout(2); assert c.recv(4)[3]==0; return c
def recv_packet(c):
    h=c.recv(1)
    if not h: return None
    mult=1; l=0
    while True:
        b=c.recv(1)[0]; l+=(b&127)*mult; mult*=128
        if b<128: break
    data=b''
    while len(data)<l: data+=c.recv(l-len(data))
    return h[0], data
late=0
for i in range(n):
    topic=f"race/{i}"
    b=conn(f"B{i}")
    sub=struct.pack(">H",1)+s(topic)+bytes([1]); b.sendall(bytes([0x82,len(sub)])+sub); assert recv_packet(b)[0]>>4==9
    un=struct.pack(">H",2)+s(topic); b.sendall(bytes([0xA2,len(un)])+un)
    if wait_unsuback: assert recv_packet(b)[0]>>4==11
    a=conn(f"A{i}")
    pub=s(topic)+b"x"; a.sendall(bytes([0x30,len(pub)])+pub)
    b.settimeout(0.3)
    try:
        while True:
            p=recv_packet(b)
            if p is None: break
            if p[0]>>4==3: late+=1; break
    except socket.timeout: pass
    a.close(); b.close()
print(f"{'waiting for UNSUBACK' if wait_unsuback else 'not waiting'}: {late} of {n} publishes delivered after the unsubscribe")
