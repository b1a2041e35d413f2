#!/usr/bin/env python3
"""Write the RFC 4475 torture messages of tests/data/rfc4475/ and INDEX.

The RFC's text is not shipped with the tree, so the messages are
transcribed here, message by message, with the same defects as the RFC's
(names are the RFC's). Adapted to a stream transport: line ends are CRLF,
and each message carries a Content-Length equal to its body unless the
defect is the Content-Length itself ("@CL@" marks where the computed value
goes). Bytes outside ASCII are written with \\x escapes.

INDEX lines: "<file> <outcome> <rfc section> <status>" where the outcome is
  parse-ok          the message parses (the test also checks key fields),
  eagain            the parser waits for more bytes (stream: clerr),
  <error name>      rejected with that SIP_E_* class (sip_perr_name()),
and the status is what sip_perr_status() must answer ("-" for none).

Run from anywhere: python3 make_messages.py (rewrites the files beside it);
with --check it only verifies them (the unit suite does that).
"""
import os
import sys

SDP = (b"v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.3\r\ns=-\r\n"
       b"c=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0 12\r\n"
       b"m=video 3227 RTP/AVP 31\r\na=rtpmap:31 LPC\r\n")

SDP2 = (b"v=0\r\no=mhandley 29739 7272939 IN IP4 192.0.2.1\r\ns=-\r\n"
        b"c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49217 RTP/AVP 0\r\n")

MSGS = []


def msg(name, outcome, section, head, body=b"", cl=None):
    """head: bytes with LF line ends, no final empty line."""
    head = head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    n = len(body) if cl is None else cl
    head = head.replace(b"@CL@", str(n).encode())
    MSGS.append((name, outcome, section, head + b"\r\n\r\n" + body))


# ---- 3.1.1 valid messages -------------------------------------------------

msg("wsinv", "parse-ok", "3.1.1.1", b"""INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : @CL@
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;rport;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33""", SDP)

msg("intmeth", "parse-ok", "3.1.1.2",
    b"!interesting-Method0123456789_*+`.%indeed'~ "
    b"sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    b"@example.com SIP/2.0\n"
    b"Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\n"
    b"To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" "
    b"<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>\n"
    b"From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>"
    b";fromParam''~+*_!.-%=\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\""
    b";tag=_token~1'+`*%!-.\n"
    b"Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
    b"CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
    b"Max-Forwards: 255\n"
    b"extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\n"
    b"Content-Length: @CL@")

msg("esc01", "parse-ok", "3.1.1.3", b"""INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0
To: sip:%75se%72@example.com
From: <sip:I%20have%20spaces@example.net>;tag=938
Max-Forwards: 87
i: esc01.239409asdfakjkn23onasd0-3234
CSeq: 234234 INVITE
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw
C: application/sdp
Contact:
  <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>
Content-Length: @CL@""", SDP2)

msg("escnull", "parse-ok", "3.1.1.4", b"""REGISTER sip:example.com SIP/2.0
To: sip:null-%00-null@example.com
From: sip:null-%00-null@example.com;tag=839923423
Max-Forwards: 70
Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
Contact: <sip:%00@host5.example.com>
Contact: <sip:%00%00@host5.example.com>
L:@CL@""")

msg("esc02", "parse-ok", "3.1.1.5", b"""RE%47IST%45R sip:registrar.example.com SIP/2.0
To: "%Z%45" <sip:resource@example.com>
From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23
Call-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf
Via: SIP/2.0/TCP host.example.com;branch=z9hG4bK209823-32
Max-Forwards: 70
CSeq: 29344 RE%47IST%45R
Contact: <sip:alias1@host1.example.com>
C%6Fntact: <sip:alias2@host2.example.com>
Contact: <sip:alias3@host3.example.com>
l: @CL@""")

msg("lwsdisp", "parse-ok", "3.1.1.6", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: caller<sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID: lwsdisp.1234abcd@funky.example.com
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP funky.example.com;branch=z9hG4bKkdjuw
l: @CL@""")

EXT = b"extreme" * 28
LONGV = b"very" + b"long" * 45 + b"value"
LONGN = b"longparam" + b"name" * 30
callername = b"amazinglylongcallername" + b"amazinglylongcallername" * 5
vias = b"".join(b"%s: SIP/2.0/TCP sip%d.example.com;branch=z9hG4bK%d\n" %
                ((b"Via", b"v", b"V")[i % 3], 33 - i, 33 - i) for i in range(1, 33))
msg("longreq", "parse-ok", "3.1.1.7",
    b"INVITE sip:user@example.com SIP/2.0\n"
    b"To: \"I have a user name of " + EXT + b" proportion\"<sip:user@example.com:6000;"
    b"unknownparam1=" + LONGV + b";" + LONGN + b"=shortvalue;"
    b"verylonngparameternamethatneverends" + b"andends" * 20 + b">;tag=f1a6" + b"9a8d" * 25 + b"\n"
    b"F: sip:" + callername + b"@example.net;tag=12982424;unknownheaderparam" +
    b"name" * 16 + b"=unknowheaderparam" + b"value" * 15 +
    b";unknownValueless" + b"paramname" * 10 + b"\n"
    b"Call-ID: longreq.one" + b"really" * 20 + b"longcallid\n"
    b"CSeq: 3882340 INVITE\n"
    b"Unknown-" + b"Long" * 33 + b"-Name: unknown-" + b"long" * 33 +
    b"-value; unknown-" + b"long" * 33 + b"-parameter-name = unknown-" + b"long" * 33 +
    b"-parameter-value\n"
    b"Via: SIP/2.0/TCP sip33.example.com\n" + vias +
    b"Max-Forwards: 70\n"
    b"Contact: <sip:" + callername + b"@host5.example.net>\n"
    b"Content-Type: application/sdp\n"
    b"l: @CL@", SDP)

# Two messages back to back: on a stream the second is simply the next one.
msg("dblreq", "parse-ok", "3.1.1.8", b"""REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=43251j3j324
Max-Forwards: 8
I: dblreq.0ha0isndaksdj99sdfafnl3lk233412
Contact: sip:j.user@host.example.com
CSeq: 8 REGISTER
Via: SIP/2.0/UDP 192.0.2.125;branch=z9hG4bKkdjuw23492
Content-Length: 0""")
DBL2_HEAD = (b"INVITE sip:joe@example.com SIP/2.0\r\nt: sip:joe@example.com\r\n"
             b"From: sip:caller@example.net;tag=141334\r\nMax-Forwards: 8\r\n"
             b"Call-ID: dblreq.0ha0isnda977644900765@192.0.2.15\r\nCSeq: 8 INVITE\r\n"
             b"Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw380234\r\n"
             b"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n")
MSGS[-1] = (MSGS[-1][0], MSGS[-1][1], MSGS[-1][2],
            MSGS[-1][3] + DBL2_HEAD % len(SDP2) + SDP2)

msg("semiuri", "parse-ok", "3.1.1.9", b"""OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Call-ID: semiuri.0ha0isndaksdj
CSeq: 8 OPTIONS
Accept: application/sdp, application/pkcs7-mime,
        multipart/mixed, multipart/signed,
        message/sip, message/sipfrag
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKkdjuw
l: @CL@""")

msg("transports", "parse-ok", "3.1.1.10", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: <sip:caller@example.com>;tag=323
Max-Forwards: 70
Call-ID:  transports.kijh4akdnaqjkwendsasfdj
Accept: application/sdp
CSeq: 60 OPTIONS
Via: SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw
Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf
Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj
Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en
Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee
l: @CL@""")

MPART = (b"--7a9cbec.3a7c0e1f.4b5c6d7e\r\nContent-Type: application/sdp\r\n\r\n" + SDP2 +
         b"\r\n--7a9cbec.3a7c0e1f.4b5c6d7e\r\nContent-Type: application/pkcs7-signature;"
         b" name=smime.p7s\r\nContent-Transfer-Encoding: binary\r\n"
         b"Content-Disposition: attachment; filename=smime.p7s; handling=required\r\n\r\n"
         b"\x30\x82\x01\x13\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x82\x01\x04\x30"
         b"\x00\x0d\x0a\x0d\x0a\x31\x0b\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\xff\xfe"
         b"\r\n--7a9cbec.3a7c0e1f.4b5c6d7e--\r\n")
msg("mpart01", "parse-ok", "3.1.1.11", b"""MESSAGE sip:kumiko@example.org SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport
Max-Forwards: 70
Route: <sip:127.0.0.1:5080;lr>
Identity: r5mwreLuyDRYBi/0TiPwEsY3rEVsk/G2WxhgTV1PF7hHuLIK0YWVKZhKv9Mj8UeXqkMVbnVq37CD+813gvYjcBUaZngQmXc9WNZSDNGCzA+fWl9MEUHWIZo1CeJebdY/XlgKeTa0Olvq0rt70Q5jiSfbqMJmQFteeivUhkMWYUA=
Contact: <sip:fluffy@127.0.0.1:5070>
To: <sip:kumiko@example.org>
From: <sip:fluffy@example.com>;tag=2fb0dcc9
Call-ID: 3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..
CSeq: 1 MESSAGE
Content-Transfer-Encoding: binary
Content-Type: multipart/mixed;boundary=7a9cbec.3a7c0e1f.4b5c6d7e
Date: Thu, 12 Oct 2006 20:49:11 GMT
Content-Length: @CL@""", MPART)

msg("unreason", "parse-ok", "3.1.1.12",
    b"SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe "
    b"\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe "
    b"\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c - \xd0\xbf\xd1\x80\xd0\xbe"
    b"\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5\n"
    b"Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923\n"
    b"Call-ID: unreason.1234ksdfak3j2erwedfsASdf\n"
    b"CSeq: 35 INVITE\n"
    b"From: sip:user@example.com;tag=11141343\n"
    b"To: sip:user@example.edu;tag=2229\n"
    b"Content-Length: @CL@\n"
    b"Content-Type: application/sdp\n"
    b"Contact: <sip:user@host198.example.com>", SDP)

msg("noreason", "parse-ok", "3.1.1.13", b"""SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: noreason.asndj203insdf99223ndf
CSeq: 35 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: @CL@
Contact: <sip:user@host105.example.com>""")

# ---- 3.1.2 invalid messages -----------------------------------------------

msg("badinv01", "addr", "3.1.2.1", b"""INVITE sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;;tag=134161461246
Max-Forwards: 7
Call-ID: badinv01.0ha0isndaksdjasdf3234nas
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;;,;,,
Contact: "Joe" <sip:joe@example.org>;;;;
Content-Length: @CL@
Content-Type: application/sdp""", SDP2)

# Content-Length larger than the body: on a stream the parser waits.
msg("clerr", "eagain", "3.1.2.2", b"""INVITE sip:user@example.com SIP/2.0
Max-Forwards: 80
To: sip:j.user@example.com
From: sip:caller@example.net;tag=93942939o2
Contact: <sip:caller@hungry.example.net>
Call-ID: clerr.0ha0isndaksdjweiafasdk3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
Content-Type: application/sdp
Content-Length: @CL@""", SDP2, cl=9999)

msg("ncl", "bad_cl", "3.1.2.3", b"""INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999""", SDP2)

msg("scalar02", "cseq", "3.1.2.4", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 36893488147419103232 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 1000000000000000000000
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
Content-Length: @CL@""")

msg("scalarlg", "number", "3.1.2.5", b"""SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP host129.example.com;branch=zzz
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=2easdjfejw
CSeq: 53345 INVITE
Call-ID: scalarlg.noase0of0234hn2qofoaf0232aewf2394r
Retry-After: 949302838503028349304023988
Warning: 1812 overture "In Progress"
Content-Length: @CL@""")

msg("quotbal", "addr", "3.1.2.6", b"""INVITE sip:user@example.com SIP/2.0
To: "Mr. J. User <sip:j.user@example.com>
From: sip:caller@example.net;tag=93334
Max-Forwards: 10
Call-ID: quotbal.aksdj
Contact: <sip:caller@host59.example.net>
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("ltgtruri", "ruri", "3.1.2.7", b"""INVITE <sip:user@example.com> SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=39291
Max-Forwards: 23
Call-ID: ltgtruri.1@192.0.2.5
CSeq: 1 INVITE
Via: SIP/2.0/UDP 192.0.2.5
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("lwsruri", "ruri", "3.1.2.8", b"""INVITE sip:user@example.com; lr SIP/2.0
To: sip:user@example.com;tag=3xfe-9921883-z9f
From: sip:caller@example.net;tag=231413434
Max-Forwards: 5
Call-ID: lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423
CSeq: 2130706432 INVITE
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKkdjuw2395
Contact: <sip:caller1@host1.example.net>
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("lwsstart", "start_line", "3.1.2.9", b"""INVITE  sip:user@example.com  SIP/2.0
Max-Forwards: 8
To: sip:user@example.com
From: sip:caller@example.net;tag=8814
Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com
CSeq: 1893884 INVITE
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923
Contact: <sip:caller@host1.example.net>
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("trws", "start_line", "3.1.2.10", b"""OPTIONS sip:remote-target@example.com SIP/2.0  
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK299342093
To: <sip:remote-target@example.com>
From: <sip:local-resource@example.com>;tag=329429089
Call-ID: trws.oicu34958239neffasdhr2345r
Accept: application/sdp
CSeq: 238923 OPTIONS
Max-Forwards: 70
Content-Length: @CL@""")

msg("escruri", "ruri", "3.1.2.11", b"""INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=341518
Max-Forwards: 7
Contact: <sip:caller@host39923.example.net>
Call-ID: escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5
CSeq: 149209342 INVITE
Via: SIP/2.0/UDP host-of-the-hour.example.com;branch=z9hG4bKkdjuw
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("baddate", "date", "3.1.2.12", b"""INVITE sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=2234923
Max-Forwards: 70
Call-ID: baddate.239423mnsadf3j23lj42--sedfnm234
CSeq: 1392934 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
Date: Fri, 01 Jan 2010 16:00:00 EST
Contact: <sip:caller@host5.example.net>
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

msg("regbadct", "addr", "3.1.2.13", b"""REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=998332
Max-Forwards: 70
Call-ID: regbadct.k345asrl3fdbv@10.0.0.1
CSeq: 1 REGISTER
Via: SIP/2.0/UDP 135.180.130.133:5060;branch=z9hG4bKkdjuw
Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E
l: @CL@""")

msg("badaspec", "addr", "3.1.2.14", b"""OPTIONS sip:user@example.org SIP/2.0
Via: SIP/2.0/UDP host4.example.com:5060;branch=z9hG4bKkdju43234
Max-Forwards: 70
From: "Bell, Alexander" <sip:a.g.bell@example.com>;tag=433423
To: "Watson, Thomas" < sip:t.watson@example.org >
Call-ID: badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3
Accept: application/sdp
CSeq: 3923239 OPTIONS
l: @CL@""")

msg("baddn", "addr", "3.1.2.15", b"""OPTIONS sip:t.watson@example.org SIP/2.0
Via:     SIP/2.0/UDP c.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards:      70
From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43
To:      Watson, Thomas <sip:t.watson@example.org>
Call-ID: baddn.31415@c.example.com
Accept: application/sdp
CSeq:    3923239 OPTIONS
l: @CL@""")

msg("badvers", "version_unsupported", "3.1.2.16", b"""OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: @CL@""")

msg("mismatch01", "cseq_mismatch", "3.1.2.17", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch01.dj0234sxdfl3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
l: @CL@""")

msg("mismatch02", "cseq_mismatch", "3.1.2.18", b"""NEWMETHOD sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch02.dj0234sxdfl3
CSeq: 8 INVITE
Contact: <sip:caller@host.example.net>
Via: SIP/2.0/UDP host.example.net;branch=z9hG4bKkdjuw
Content-Type: application/sdp
l: @CL@""", SDP2)

msg("bigcode", "status", "3.1.2.19", b"""SIP/2.0 4294967301 better not break the receiver
Via: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2398ndaoe
Call-ID: bigcode.asdof3uj203asdnf3429uasdhfas3ehjasdfas9i
CSeq: 353494 INVITE
From: <sip:user@example.com>;tag=39ansfi3
To: <sip:user@example.edu>;tag=902jndnke3
Content-Length: @CL@
Contact: <sip:user@host105.example.com>""")

# ---- 3.2 transaction layer, 3.3 application layer, 3.4 compatibility ------

msg("badbranch", "parse-ok", "3.2.1", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.org;tag=33242
Max-Forwards: 3
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK
Accept: application/sdp
Call-ID: badbranch.sadonfo23i420jv0as0derf3j3n
CSeq: 8 OPTIONS
l: @CL@""")

msg("insuf", "missing_header", "3.3.1", b"""INVITE sip:user@example.com SIP/2.0
CSeq: 193942 INVITE
Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf
Content-Type: application/sdp
l: @CL@""", SDP2)

msg("unkscm", "uri_scheme", "3.3.2", b"""OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: unkscm.nasdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: @CL@""")

msg("novelsc", "uri_scheme", "3.3.3", b"""OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=384
Max-Forwards: 3
Call-ID: novelsc.asdfasser0q239nwsdfasdkl34
CSeq: 3923423 OPTIONS
Via: SIP/2.0/TCP host9.example.com;branch=z9hG4bKkdjuw39234
Content-Length: @CL@""")

msg("unksm2", "parse-ok", "3.3.4", b"""REGISTER sip:example.com SIP/2.0
To: isbn:2983792873
From: <http://www.example.com>;tag=3234233
Call-ID: unksm2.daksdj@hyphenated-host.example.com
CSeq: 234902 REGISTER
Max-Forwards: 70
Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw
Contact: <name:John_Smith>
l: @CL@""")

msg("bext01", "parse-ok", "3.3.5", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:j_user@example.com
From: sip:caller@example.net;tag=242etr
Max-Forwards: 6
Call-ID: bext01.0ha0isndaksdj
Require: nothingSupportsThis, nothingSupportsThisEither
Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis
CSeq: 8 OPTIONS
Via: SIP/2.0/TLS fold-and-staple.example.com;branch=z9hG4bKkdjuw
Content-Length: @CL@""")

msg("invut", "parse-ok", "3.3.6", b"""INVITE sip:user@example.com SIP/2.0
Contact: <sip:caller@host5.example.net>
To: sip:j.user@example.com
From: sip:caller@example.net;tag=8392034
Max-Forwards: 70
Call-ID: invut.0ha0isndaksdjadsfij34n23d
CSeq: 235448 INVITE
Via: SIP/2.0/UDP somehost.example.com;branch=z9hG4bKkdjuw
Content-Type: application/unknownformat
Content-Length: @CL@""", b"<audio>\r\n <pcmu port=\"443\"/>\r\n</audio>\r\n")

msg("regaut01", "parse-ok", "3.3.7", b"""REGISTER sip:example.com SIP/2.0
To: sip:j.user@example.com
From: sip:j.user@example.com;tag=87321hj23128
Max-Forwards: 8
Call-ID: regaut01.0ha0isndaksdj
CSeq: 9338 REGISTER
Via: SIP/2.0/TCP 192.0.2.253;branch=z9hG4bKkdjuw
Authorization: NoOneKnowsThisScheme opaque-data=here
Content-Length: @CL@""")

msg("multi01", "dup_header", "3.3.8", b"""INVITE sip:user@company.com SIP/2.0
Contact: <sip:caller@host25.example.net>
Via: SIP/2.0/UDP 192.0.2.25;branch=z9hG4bKkdjuw
Max-Forwards: 70
CSeq: 5 INVITE
Call-ID: multi01.98asdh@192.0.2.1
CSeq: 59 INVITE
Call-ID: multi01.98asdh@192.0.2.2
From: sip:caller@example.com;tag=3413415
To: sip:user@example.com
To: sip:other@example.net
From: sip:caller@example.net;tag=2923420123
Content-Type: application/sdp
l: @CL@
Contact: <sip:caller@host36.example.net>
Max-Forwards: 5""", SDP2)

msg("mcl01", "dup_cl", "3.3.9", b"""OPTIONS sip:user@example.com SIP/2.0
Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423
To: sip:user@example.com
From: sip:other@example.net;tag=3923942
Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf
CSeq: 15932 OPTIONS
Content-Length: 13
Max-Forwards: 60
Content-Length: 5
Content-Type: text/plain""", b"There's no way to know how many octets are supposed to be here.")

msg("bcast", "parse-ok", "3.3.10", b"""SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.0.2.198;branch=z9hG4bK1324923
Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23
Call-ID: bcast.0384840201234ksdfak3j2erwedfsASdf
CSeq: 35 INVITE
From: sip:user@example.com;tag=11141343
To: sip:user@example.edu;tag=2229
Content-Length: @CL@
Content-Type: application/sdp
Contact: <sip:user@host28.example.com>""", SDP2)

msg("zeromf", "parse-ok", "3.3.11", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: zeromf.jfasdlfnm2o2l43r5u0asdfas
CSeq: 39234321 OPTIONS
Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 0
Content-Length: @CL@""")

msg("cparam01", "parse-ok", "3.3.12", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe
To: sip:watson@example.com
Call-ID: cparam01.70710@saturn.example.com
CSeq: 2 REGISTER
Contact: sip:+19725552222@gw1.example.net;unknownparam
l: @CL@""")

msg("cparam02", "parse-ok", "3.3.13", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKkdjuw
Max-Forwards: 70
From: sip:watson@example.com;tag=838293
To: sip:watson@example.com
Call-ID: cparam02.70710@saturn.example.com
CSeq: 3 REGISTER
Contact: <sip:+19725552222@gw1.example.net;unknownparam>
l: @CL@""")

msg("regescrt", "parse-ok", "3.3.14", b"""REGISTER sip:example.com SIP/2.0
To: sip:user@example.com
From: sip:user@example.com;tag=8
Max-Forwards: 70
Call-ID: regescrt.k345asrl3fdbv@192.0.2.1
CSeq: 14398234 REGISTER
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw
M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>
L: @CL@""")

msg("sdp01", "parse-ok", "3.3.15", b"""INVITE sip:user@example.com SIP/2.0
To: sip:j_user@example.com
Contact: <sip:caller@host15.example.net>
From: sip:caller@example.net;tag=234
Max-Forwards: 5
Call-ID: sdp01.ndaksdj9342dasdd
Accept: text/nobodyKnowsThis
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKkdjuw
Content-Length: @CL@
Content-Type: application/sdp""", SDP2)

msg("inv2543", "parse-ok", "3.4.1", b"""INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.here.example.com;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.here.example.com
CSeq: 56 INVITE
Content-Type: application/sdp
Content-Length: @CL@""", SDP2)

# ---- extra, for classes the RFC has no message for ------------------------

msg("scalar02mf", "number", "3.1.2.4", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 1 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Content-Length: @CL@""")

msg("scalar02ex", "number", "3.1.2.4", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 1 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Expires: 1000000000000000000000
Content-Length: @CL@""")

msg("scalar02ct", "number", "3.1.2.4", b"""REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bK342sdfoi3
To: <sip:user@example.com>
From: <sip:user@example.com>;tag=239232jh3
CSeq: 1 REGISTER
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Contact: <sip:user@host129.example.com>
  ;expires=280297596632815
Content-Length: @CL@""")

msg("nocl", "no_cl", "18.3", b"""OPTIONS sip:user@example.com SIP/2.0
To: sip:user@example.com
From: sip:caller@example.net;tag=3ghsd41
Call-ID: nocl.jfasdlfnm2o2l43r5u0asdfas
CSeq: 1 OPTIONS
Via: SIP/2.0/TLS host1.example.com;branch=z9hG4bKkdjuw2349i
Max-Forwards: 70""")

# The answer a UAS gives to each rejected class (RFC 4475 says 400 for
# most; 505 for an unknown version, 416 for an unknown scheme); "-" where
# nothing is answered (parsed, or still waiting for bytes).
STATUS = {"parse-ok": "-", "eagain": "-", "version_unsupported": "505",
          "uri_scheme": "416"}

here = os.path.dirname(os.path.abspath(__file__))
files = {name + ".sip": data for name, _, _, data in MSGS}
index = "# file outcome rfc4475-section status (written by make_messages.py)\n" + "".join(
    "%s %s %s %s\n" % (name + ".sip", outcome, section, STATUS.get(outcome, "400"))
    for name, outcome, section, _ in MSGS)
files["INDEX"] = index.encode()

if "--check" in sys.argv:
    # The test suite runs this: the files on disk are what this script writes.
    stale = []
    for name, data in files.items():
        try:
            with open(os.path.join(here, name), "rb") as f:
                if f.read() != data:
                    stale.append(name)
        except OSError:
            stale.append(name)
    print("rfc4475 data: %d files, %d stale%s" % (len(files), len(stale),
          (": " + " ".join(stale)) if stale else ""))
    sys.exit(1 if stale else 0)

for name, data in files.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
